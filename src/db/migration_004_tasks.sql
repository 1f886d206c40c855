-- Tasks: who does what for which customer, and when. Groups are a hierarchy written as paths
-- ("Myynti/Puhelut"); filtering by a group takes its subgroups too.
CREATE TABLE task_groups (
    id   INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE COLLATE NOCASE
) STRICT;

CREATE TABLE tasks (
    id                 INTEGER PRIMARY KEY,
    description        TEXT NOT NULL,
    assignee_id        INTEGER NOT NULL REFERENCES users(id),
    group_id           INTEGER REFERENCES task_groups(id) ON DELETE SET NULL,
    due_date           TEXT NOT NULL,
    due_time           TEXT,
    customer_id        INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    contact_id         INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    done               INTEGER NOT NULL DEFAULT 0,
    done_at            TEXT,
    remind_days_before INTEGER,
    created_by         INTEGER REFERENCES users(id),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;
CREATE INDEX tasks_by_due ON tasks(done, due_date, due_time, id);
CREATE INDEX tasks_by_date ON tasks(due_date, due_time, id);
CREATE INDEX tasks_by_assignee ON tasks(assignee_id, done, due_date, due_time, id);
CREATE INDEX tasks_by_customer ON tasks(customer_id, done, due_date, due_time, id) WHERE customer_id IS NOT NULL;
CREATE INDEX tasks_by_contact ON tasks(contact_id, done, due_date, due_time, id) WHERE contact_id IS NOT NULL;
CREATE INDEX tasks_by_group ON tasks(group_id, done, due_date, due_time, id) WHERE group_id IS NOT NULL;

-- Tasks carry no tags yet; the table keeps the registers' shared tag filter valid for them.
CREATE TABLE task_tags (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    tag_id  INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, tag_id)
) STRICT, WITHOUT ROWID;

CREATE VIRTUAL TABLE tasks_fts USING fts5(
    description,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO tasks_fts(rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER tasks_fts_update AFTER UPDATE OF description ON tasks
BEGIN
    DELETE FROM tasks_fts WHERE rowid = old.id;
    INSERT INTO tasks_fts(rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks
BEGIN
    DELETE FROM tasks_fts WHERE rowid = old.id;
END;

-- A task's reminders, scheduled when it is saved and delivered once by the reminder job.
CREATE TABLE reminders (
    id           INTEGER PRIMARY KEY,
    task_id      INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    kind         TEXT NOT NULL CHECK (kind IN ('before', 'due')),
    remind_at    TEXT NOT NULL,
    delivered_at TEXT,
    dismissed_at TEXT
) STRICT;
CREATE INDEX reminders_task ON reminders(task_id);
CREATE INDEX reminders_undelivered ON reminders(remind_at) WHERE delivered_at IS NULL;
CREATE INDEX reminders_inbox ON reminders(user_id, remind_at) WHERE dismissed_at IS NULL;
