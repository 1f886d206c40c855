-- Version 14: a customer's and a contact's row hold copies of what its list row shows from
-- elsewhere (schema.sql, `customers.tag_names`, `contacts.tag_names` and
-- `contacts.customer_links`), so that a list page reads its fifty rows and nothing else. A
-- contact's row read its tags, its links and then its customers' names from three more places,
-- at random depths of indexes far bigger than the cache: some 250 page reads a page deep in a
-- list at a million customers. The narrow indexes of the tag links by record served only those
-- reads; the triggers read a record's tags by the link tables' primary keys.
ALTER TABLE customers ADD COLUMN tag_names TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN tag_names TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN customer_links TEXT NOT NULL DEFAULT '';
-- Each filled in one pass over a link table in record order.
UPDATE customers SET tag_names = x.names
FROM (SELECT x.customer_id, group_concat(t.name, char(31)) AS names
      FROM customer_tags x JOIN tags t ON t.id = x.tag_id GROUP BY x.customer_id) AS x
WHERE customers.id = x.customer_id;
UPDATE contacts SET tag_names = x.names
FROM (SELECT x.contact_id, group_concat(t.name, char(31)) AS names
      FROM contact_tags x JOIN tags t ON t.id = x.tag_id GROUP BY x.contact_id) AS x
WHERE contacts.id = x.contact_id;
UPDATE contacts SET customer_links = l.links
FROM (SELECT cc.contact_id, group_concat(cc.customer_id || char(30) || cc.role || char(30) || c.name, char(31)) AS links
      FROM customer_contacts cc JOIN customers c ON c.id = cc.customer_id GROUP BY cc.contact_id) AS l
WHERE contacts.id = l.contact_id;
DROP INDEX customer_tags_by_customer;
DROP INDEX contact_tags_by_contact;
-- The copy of the tag names on a customer's row, made again whenever one of its tags is added
-- or removed. (A tag is never renamed, and a link never moves: a merge adds the kept record's
-- links and deletes the other's.)
CREATE TRIGGER customer_tags_names_insert AFTER INSERT ON customer_tags
BEGIN
    UPDATE customers SET tag_names = (SELECT coalesce(group_concat(t.name, char(31)), '')
        FROM customer_tags x JOIN tags t ON t.id = x.tag_id WHERE x.customer_id = customers.id)
    WHERE id = new.customer_id;
END;
CREATE TRIGGER customer_tags_names_delete AFTER DELETE ON customer_tags
BEGIN
    UPDATE customers SET tag_names = (SELECT coalesce(group_concat(t.name, char(31)), '')
        FROM customer_tags x JOIN tags t ON t.id = x.tag_id WHERE x.customer_id = customers.id)
    WHERE id = old.customer_id;
END;
-- The copies on a contact's row (`tag_names`, `customer_links`), made again from the links
-- whenever one is added or removed or a role changes, and when a customer is renamed. (As
-- for customers, a tag is never renamed and a link never moves.)
CREATE TRIGGER contact_tags_names_insert AFTER INSERT ON contact_tags
BEGIN
    UPDATE contacts SET tag_names = (SELECT coalesce(group_concat(t.name, char(31)), '')
        FROM contact_tags x JOIN tags t ON t.id = x.tag_id WHERE x.contact_id = contacts.id)
    WHERE id = new.contact_id;
END;
CREATE TRIGGER contact_tags_names_delete AFTER DELETE ON contact_tags
BEGIN
    UPDATE contacts SET tag_names = (SELECT coalesce(group_concat(t.name, char(31)), '')
        FROM contact_tags x JOIN tags t ON t.id = x.tag_id WHERE x.contact_id = contacts.id)
    WHERE id = old.contact_id;
END;
CREATE TRIGGER customer_contacts_copy_insert AFTER INSERT ON customer_contacts
BEGIN
    UPDATE contacts SET customer_links = (SELECT coalesce(group_concat(cc.customer_id || char(30) || cc.role || char(30) || c.name, char(31)), '')
        FROM customer_contacts cc JOIN customers c ON c.id = cc.customer_id WHERE cc.contact_id = contacts.id)
    WHERE id = new.contact_id;
END;
CREATE TRIGGER customer_contacts_copy_delete AFTER DELETE ON customer_contacts
BEGIN
    UPDATE contacts SET customer_links = (SELECT coalesce(group_concat(cc.customer_id || char(30) || cc.role || char(30) || c.name, char(31)), '')
        FROM customer_contacts cc JOIN customers c ON c.id = cc.customer_id WHERE cc.contact_id = contacts.id)
    WHERE id = old.contact_id;
END;
CREATE TRIGGER customer_contacts_copy_update AFTER UPDATE OF role ON customer_contacts
BEGIN
    UPDATE contacts SET customer_links = (SELECT coalesce(group_concat(cc.customer_id || char(30) || cc.role || char(30) || c.name, char(31)), '')
        FROM customer_contacts cc JOIN customers c ON c.id = cc.customer_id WHERE cc.contact_id = contacts.id)
    WHERE id = new.contact_id;
END;
CREATE TRIGGER customers_contact_copies AFTER UPDATE OF name ON customers
WHEN old.name IS NOT new.name
BEGIN
    UPDATE contacts SET customer_links = (SELECT coalesce(group_concat(cc.customer_id || char(30) || cc.role || char(30) || c.name, char(31)), '')
        FROM customer_contacts cc JOIN customers c ON c.id = cc.customer_id WHERE cc.contact_id = contacts.id)
    WHERE id IN (SELECT contact_id FROM customer_contacts WHERE customer_id = new.id);
END;
