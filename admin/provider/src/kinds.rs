//! How each kind of object maps onto the schema: its table, key column, counter columns and relations.
//!
//! Objects are stored as JSON in `data` with the reference's field names; the fields listed here live in
//! columns instead (so the data plane can update counters with one SQL increment, and foreign keys keep
//! relations honest) and are merged back into the JSON on read.

/// A read-only list filled on read from a relation, e.g. the users of a group.
#[derive(Debug)]
pub(crate) struct Derived {
    /// JSON field.
    pub(crate) field: &'static str,
    /// Query returning one name per row, with the object's id as the only parameter.
    pub(crate) sql: &'static str,
}

/// A many-to-many relation stored in a mapping table.
#[derive(Debug)]
pub(crate) struct Mapping {
    /// JSON array field holding the related objects (each with a `name`).
    pub(crate) field: &'static str,
    /// Mapping table (without prefix).
    pub(crate) table: &'static str,
    /// Column of this object's id in the mapping table.
    pub(crate) owner_col: &'static str,
}

/// One kind of object.
#[derive(Debug)]
pub(crate) struct Kind {
    /// Human name for messages: "user", "group", ...
    pub(crate) what: &'static str,
    /// Table (without prefix).
    pub(crate) table: &'static str,
    /// Key column, also the JSON field holding the key.
    pub(crate) key: &'static str,
    /// Counter columns mirrored into the JSON.
    pub(crate) counters: &'static [&'static str],
    /// Has `created_at` / `updated_at` columns.
    pub(crate) timestamps: bool,
    /// Has a `role` (name in JSON, `role_id` column).
    pub(crate) role: bool,
    /// Group memberships (users: with a `type`; admins: with `options`).
    pub(crate) groups: Option<Mapping>,
    /// Virtual folder mappings.
    pub(crate) folders: Option<Mapping>,
    /// Read-only lists.
    pub(crate) derived: &'static [Derived],
}

pub(crate) const USER_COUNTERS: &[&str] = &[
    "used_quota_size",
    "used_quota_files",
    "last_quota_update",
    "used_upload_data_transfer",
    "used_download_data_transfer",
    "last_login",
    "first_upload",
    "first_download",
];

pub(crate) const FOLDER_COUNTERS: &[&str] =
    &["used_quota_size", "used_quota_files", "last_quota_update"];

/// Fields of a folder mapping that belong to the mapping, not to the folder.
pub(crate) const MAPPING_FIELDS: &[&str] = &[
    "name",
    "virtual_path",
    "quota_size",
    "quota_files",
    "subpath",
];

/// Fields of a base folder that a user or group may carry in its mapping to create the folder on the fly.
pub(crate) const FOLDER_FIELDS: &[&str] = &["name", "mapped_path", "description", "filesystem"];

pub(crate) static USERS: Kind = Kind {
    what: "user",
    table: "users",
    key: "username",
    counters: USER_COUNTERS,
    timestamps: true,
    role: true,
    groups: Some(Mapping {
        field: "groups",
        table: "users_groups_mapping",
        owner_col: "user_id",
    }),
    folders: Some(Mapping {
        field: "virtual_folders",
        table: "users_folders_mapping",
        owner_col: "user_id",
    }),
    derived: &[],
};

pub(crate) static GROUPS: Kind = Kind {
    what: "group",
    table: "usergroups",
    key: "name",
    counters: &[],
    timestamps: true,
    role: false,
    groups: None,
    folders: Some(Mapping {
        field: "virtual_folders",
        table: "groups_folders_mapping",
        owner_col: "group_id",
    }),
    derived: &[
        Derived {
            field: "users",
            sql: "SELECT u.username FROM {p}users_groups_mapping m JOIN {p}users u ON u.id = m.user_id \
                  WHERE m.group_id = ? ORDER BY u.username",
        },
        Derived {
            field: "admins",
            sql: "SELECT a.username FROM {p}admins_groups_mapping m JOIN {p}admins a ON a.id = m.admin_id \
                  WHERE m.group_id = ? ORDER BY a.username",
        },
    ],
};

pub(crate) static FOLDERS: Kind = Kind {
    what: "folder",
    table: "folders",
    key: "name",
    counters: FOLDER_COUNTERS,
    timestamps: false,
    role: false,
    groups: None,
    folders: None,
    derived: &[
        Derived {
            field: "users",
            sql: "SELECT u.username FROM {p}users_folders_mapping m JOIN {p}users u ON u.id = m.user_id \
                  WHERE m.folder_id = ? ORDER BY u.username",
        },
        Derived {
            field: "groups",
            sql: "SELECT g.name FROM {p}groups_folders_mapping m JOIN {p}usergroups g ON g.id = m.group_id \
                  WHERE m.folder_id = ? ORDER BY g.name",
        },
    ],
};

pub(crate) static ADMINS: Kind = Kind {
    what: "admin",
    table: "admins",
    key: "username",
    counters: &["last_login"],
    timestamps: true,
    role: true,
    groups: Some(Mapping {
        field: "groups",
        table: "admins_groups_mapping",
        owner_col: "admin_id",
    }),
    folders: None,
    derived: &[],
};

pub(crate) static ROLES: Kind = Kind {
    what: "role",
    table: "roles",
    key: "name",
    counters: &[],
    timestamps: true,
    role: false,
    groups: None,
    folders: None,
    derived: &[
        Derived {
            field: "users",
            sql: "SELECT username FROM {p}users WHERE role_id = ? ORDER BY username",
        },
        Derived {
            field: "admins",
            sql: "SELECT username FROM {p}admins WHERE role_id = ? ORDER BY username",
        },
    ],
};
