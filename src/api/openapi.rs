//! The OpenAPI 3.1 document of the API. It grows with each module; a test checks that every
//! route the API answers is described here and that every described route answers.

use serde_json::{json, Value};

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn list_parameters() -> Value {
    json!([
        {"name": "limit", "in": "query", "description": "Page size, default 50, at most 500.", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
        {"name": "offset", "in": "query", "description": "Rows to skip.", "schema": {"type": "integer", "minimum": 0}}
    ])
}

pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "minicrm API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON API of minicrm. Authenticate with `Authorization: Bearer <token>`; tokens come from `minicrm token create` or the account page. Errors always have the shape of the Error schema."
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/me": {
                "get": {
                    "summary": "The user the token belongs to.",
                    "responses": {
                        "200": {"description": "The user", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                        "401": error_response("No token or a bad one")
                    }
                }
            },
            "/users": {
                "get": {
                    "summary": "All users, ordered by name (for assignee pickers).",
                    "parameters": list_parameters(),
                    "responses": {
                        "200": {"description": "A page of users", "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["items", "next_offset"],
                            "properties": {
                                "items": {"type": "array", "items": {"$ref": "#/components/schemas/User"}},
                                "next_offset": {"type": ["integer", "null"]}
                            }
                        }}}},
                        "400": error_response("Bad limit or offset"),
                        "401": error_response("No token or a bad one")
                    }
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "responses": {"200": {"description": "The OpenAPI document"}, "401": error_response("No token or a bad one")}
                }
            },
            "/docs": {
                "get": {
                    "summary": "This document as a readable page.",
                    "responses": {"200": {"description": "An HTML page"}, "401": error_response("No token or a bad one")}
                }
            }
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "User": {
                    "type": "object",
                    "required": ["id", "username", "name", "email", "role", "active"],
                    "properties": {
                        "id": {"type": "integer"},
                        "username": {"type": "string"},
                        "name": {"type": "string"},
                        "email": {"type": "string"},
                        "role": {"type": "string", "enum": ["admin", "user", "readonly"]},
                        "active": {"type": "boolean"}
                    }
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string", "examples": ["validation", "not_found", "unauthorized"]},
                            "message": {"type": "string"},
                            "fields": {"type": "object", "additionalProperties": {"type": "string"}}
                        }
                    }}
                }
            }
        }
    })
}
