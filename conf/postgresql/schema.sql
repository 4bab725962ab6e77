-- SPDX-License-Identifier: BSD-2-Clause
--
-- The fleet's credential source (docs/fleet.md): PostgreSQL 15.
--
--   psql -v ON_ERROR_STOP=1 -d onem2m -f schema.sql
--
-- One table of TLS-PSK credentials.  Every INSERT and UPDATE takes a new
-- sequence number (a trigger sets "seq"); the per-node sync daemon
-- (onem2m-sync) copies every row with seq > its last one into the node's
-- LMDB store, in seq order.  So:
--
--   - rows are never deleted: a revocation is an UPDATE to a tombstone
--     (revoked = true, the sealed key dropped), which gets a seq like any
--     change and so reaches every node, even one that was down.  DELETE
--     and TRUNCATE are refused by triggers;
--   - writers are serialised (a transaction-scoped advisory lock taken
--     before the sequence number): seq order is commit order, so a reader
--     that has seen seq N can never later meet a committed row below N;
--   - NOTIFY onem2m_kpsa (payload: the highest seq of the statement) only
--     wakes the daemons up: they always read the table, a lost
--     notification costs at most one safety poll;
--   - onem2m.source holds one random uuid made here: a node whose store
--     came from another source (a re-created database) starts over with
--     a full resync.  A pg_restore carries the uuid over, so the daemons
--     also compare a storage epoch (the cluster's system identifier and
--     the OIDs of the database and of onem2m.credentials, which no
--     restore carries over) and the digest of the row at their last seq
--     (docs/fleet.md, "restoring").
--
-- "sealed" holds the key enveloped under the fleet's KEK (AES-256-GCM,
-- docs/fleet.md): onem2m-kpsa seals before it inserts, PostgreSQL and the
-- sync daemons never see a key.
--
-- The CHECK constraints repeat what SQL can say of the key table's rules
-- (lengths, characters); the authoritative checks are the C ones in
-- provider/common/onem2m_id.c, run by onem2m-kpsa before it inserts and
-- by the store writer before a row reaches a node.
--
-- Roles (NOLOGIN groups; give them to login roles, see docs/fleet.md):
--   onem2m_kpsa_writer   the key tool: read, insert, rekey, revoke
--   onem2m_sync_reader   the sync daemons: read only

BEGIN;

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles
                   WHERE rolname = 'onem2m_kpsa_writer') THEN
        CREATE ROLE onem2m_kpsa_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles
                   WHERE rolname = 'onem2m_sync_reader') THEN
        CREATE ROLE onem2m_sync_reader NOLOGIN;
    END IF;
END
$roles$;

CREATE SCHEMA onem2m;
REVOKE ALL ON SCHEMA onem2m FROM PUBLIC;

-- the source identity: exactly one row, made once
CREATE TABLE onem2m.source (
    one         boolean     PRIMARY KEY DEFAULT true CHECK (one),
    source_id   uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO onem2m.source DEFAULT VALUES;

CREATE SEQUENCE onem2m.credential_seq AS bigint;

CREATE TABLE onem2m.credentials (
    -- "<relative>@<FQDN>" (TS-0003 10.5), at most 255 bytes
    kpsa_id     text        PRIMARY KEY
        CONSTRAINT kpsa_id_form CHECK (
            octet_length(kpsa_id) BETWEEN 3 AND 255
            AND kpsa_id ~ '^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+$'),
    -- an AE-ID or a CSE-ID: unreserved URI characters and "/"
    entity      text        NOT NULL
        CONSTRAINT entity_form CHECK (
            octet_length(entity) BETWEEN 1 AND 255
            AND entity ~ '^[A-Za-z0-9._~/-]+$'),
    -- version 0x01 || 12-byte nonce || ciphertext || 16-byte tag, keys of
    -- 1 to 512 bytes; NULL in a tombstone
    sealed      bytea
        CONSTRAINT sealed_form CHECK (
            sealed IS NULL
            OR (octet_length(sealed) BETWEEN 30 AND 541
                AND get_byte(sealed, 0) = 1)),
    revoked     boolean     NOT NULL DEFAULT false,
    seq         bigint      NOT NULL UNIQUE,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT live_has_key CHECK (revoked OR sealed IS NOT NULL)
);

CREATE INDEX credentials_entity ON onem2m.credentials (entity)
    WHERE NOT revoked;

-- BEFORE INSERT OR UPDATE: the rules of a change, then its seq
CREATE FUNCTION onem2m.credentials_stamp() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.kpsa_id <> OLD.kpsa_id OR NEW.entity <> OLD.entity THEN
            RAISE EXCEPTION 'credential %: KpsaID and entity never change '
                '(revoke it and add a new one)', OLD.kpsa_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF OLD.revoked AND NOT NEW.revoked THEN
            RAISE EXCEPTION 'credential % is revoked: a revoked KpsaID is '
                'never used again', OLD.kpsa_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF OLD.revoked AND NEW.revoked THEN
            RETURN NULL;            -- revoked twice: nothing changes
        END IF;
    END IF;

    IF NEW.revoked THEN
        NEW.sealed := NULL;         -- a tombstone keeps no key
    END IF;

    -- writers one at a time until commit: seq order is commit order
    PERFORM pg_advisory_xact_lock(hashtext('onem2m.credentials'));
    NEW.seq := nextval('onem2m.credential_seq');
    NEW.changed_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER credentials_stamp
    BEFORE INSERT OR UPDATE ON onem2m.credentials
    FOR EACH ROW EXECUTE FUNCTION onem2m.credentials_stamp();

CREATE FUNCTION onem2m.refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'source' THEN
        RAISE EXCEPTION 'onem2m.source never changes (a new source is a '
            'new database: every node resyncs fully from it)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RAISE EXCEPTION 'credentials are never deleted: revoke them '
        '(UPDATE onem2m.credentials SET revoked = true WHERE kpsa_id = ...)'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER credentials_no_delete
    BEFORE DELETE ON onem2m.credentials
    FOR EACH ROW EXECUTE FUNCTION onem2m.refuse_change();

CREATE TRIGGER credentials_no_truncate
    BEFORE TRUNCATE ON onem2m.credentials
    FOR EACH STATEMENT EXECUTE FUNCTION onem2m.refuse_change();

-- the wake-up: one notification per statement, the highest seq it wrote
CREATE FUNCTION onem2m.credentials_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    top bigint;
BEGIN
    SELECT max(seq) INTO top FROM changed;
    IF top IS NOT NULL THEN
        PERFORM pg_notify('onem2m_kpsa', top::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER credentials_notify_insert
    AFTER INSERT ON onem2m.credentials
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION onem2m.credentials_notify();

CREATE TRIGGER credentials_notify_update
    AFTER UPDATE ON onem2m.credentials
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION onem2m.credentials_notify();

-- the source never changes once made
CREATE TRIGGER source_fixed
    BEFORE UPDATE OR DELETE ON onem2m.source
    FOR EACH ROW EXECUTE FUNCTION onem2m.refuse_change();

CREATE TRIGGER source_no_truncate
    BEFORE TRUNCATE ON onem2m.source
    FOR EACH STATEMENT EXECUTE FUNCTION onem2m.refuse_change();

GRANT USAGE ON SCHEMA onem2m TO onem2m_kpsa_writer, onem2m_sync_reader;
GRANT SELECT ON onem2m.source, onem2m.credentials
    TO onem2m_kpsa_writer, onem2m_sync_reader;
GRANT INSERT (kpsa_id, entity, sealed),
      UPDATE (sealed, revoked) ON onem2m.credentials TO onem2m_kpsa_writer;
GRANT USAGE ON SEQUENCE onem2m.credential_seq TO onem2m_kpsa_writer;
-- the daemons compare its last value with their store's (restored backup)
GRANT SELECT ON SEQUENCE onem2m.credential_seq TO onem2m_sync_reader;

COMMIT;
