-- ringway data provider, schema version 1 (sqlite).
-- Each object is a row with its key columns (names, relations, counters the data plane updates) and a `data`
-- column with the rest of the object as JSON, in the reference product's field names. Relations are real
-- foreign keys: a group or role still in use cannot be deleted (RESTRICT); deleting a user, admin or folder
-- removes its mappings (CASCADE). Statements are idempotent (IF NOT EXISTS) because MySQL
-- cannot roll DDL back; the runner records the version in schema_version after the last one. `{{prefix}}` is replaced with data_provider.sql_tables_prefix.
CREATE TABLE IF NOT EXISTS {{prefix}}roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT {{prefix}}roles_name_uq UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS {{prefix}}usergroups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT {{prefix}}usergroups_name_uq UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS {{prefix}}folders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    used_quota_size BIGINT NOT NULL DEFAULT 0,
    used_quota_files BIGINT NOT NULL DEFAULT 0,
    last_quota_update BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT {{prefix}}folders_name_uq UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS {{prefix}}users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    data TEXT NOT NULL,
    role_id INTEGER NULL,
    used_quota_size BIGINT NOT NULL DEFAULT 0,
    used_quota_files BIGINT NOT NULL DEFAULT 0,
    last_quota_update BIGINT NOT NULL DEFAULT 0,
    used_upload_data_transfer BIGINT NOT NULL DEFAULT 0,
    used_download_data_transfer BIGINT NOT NULL DEFAULT 0,
    last_login BIGINT NOT NULL DEFAULT 0,
    first_upload BIGINT NOT NULL DEFAULT 0,
    first_download BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT {{prefix}}users_username_uq UNIQUE (username),
    CONSTRAINT {{prefix}}users_role_fk FOREIGN KEY (role_id) REFERENCES {{prefix}}roles (id) ON DELETE RESTRICT
);
CREATE TABLE IF NOT EXISTS {{prefix}}admins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    data TEXT NOT NULL,
    role_id INTEGER NULL,
    last_login BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT {{prefix}}admins_username_uq UNIQUE (username),
    CONSTRAINT {{prefix}}admins_role_fk FOREIGN KEY (role_id) REFERENCES {{prefix}}roles (id) ON DELETE RESTRICT
);
CREATE TABLE IF NOT EXISTS {{prefix}}api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    data TEXT NOT NULL,
    user_id INTEGER NULL,
    admin_id INTEGER NULL,
    last_use_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT {{prefix}}api_keys_key_id_uq UNIQUE (key_id),
    CONSTRAINT {{prefix}}api_keys_user_fk FOREIGN KEY (user_id) REFERENCES {{prefix}}users (id) ON DELETE CASCADE,
    CONSTRAINT {{prefix}}api_keys_admin_fk FOREIGN KEY (admin_id) REFERENCES {{prefix}}admins (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS {{prefix}}users_groups_mapping (
    user_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    group_type INTEGER NOT NULL,
    PRIMARY KEY (user_id, group_id),
    CONSTRAINT {{prefix}}users_groups_user_fk FOREIGN KEY (user_id) REFERENCES {{prefix}}users (id) ON DELETE CASCADE,
    CONSTRAINT {{prefix}}users_groups_group_fk FOREIGN KEY (group_id) REFERENCES {{prefix}}usergroups (id) ON DELETE RESTRICT
);
CREATE TABLE IF NOT EXISTS {{prefix}}users_folders_mapping (
    user_id INTEGER NOT NULL,
    folder_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, folder_id),
    CONSTRAINT {{prefix}}users_folders_user_fk FOREIGN KEY (user_id) REFERENCES {{prefix}}users (id) ON DELETE CASCADE,
    CONSTRAINT {{prefix}}users_folders_folder_fk FOREIGN KEY (folder_id) REFERENCES {{prefix}}folders (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS {{prefix}}groups_folders_mapping (
    group_id INTEGER NOT NULL,
    folder_id INTEGER NOT NULL,
    PRIMARY KEY (group_id, folder_id),
    CONSTRAINT {{prefix}}groups_folders_group_fk FOREIGN KEY (group_id) REFERENCES {{prefix}}usergroups (id) ON DELETE CASCADE,
    CONSTRAINT {{prefix}}groups_folders_folder_fk FOREIGN KEY (folder_id) REFERENCES {{prefix}}folders (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS {{prefix}}admins_groups_mapping (
    admin_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    PRIMARY KEY (admin_id, group_id),
    CONSTRAINT {{prefix}}admins_groups_admin_fk FOREIGN KEY (admin_id) REFERENCES {{prefix}}admins (id) ON DELETE CASCADE,
    CONSTRAINT {{prefix}}admins_groups_group_fk FOREIGN KEY (group_id) REFERENCES {{prefix}}usergroups (id) ON DELETE RESTRICT
);
CREATE TABLE IF NOT EXISTS {{prefix}}settings (
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (name)
);
