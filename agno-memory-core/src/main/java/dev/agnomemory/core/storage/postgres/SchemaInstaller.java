package dev.agnomemory.core.storage.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the schema when a {@link PostgresStorage} is built, and creates or migrates it.
 *
 * <p>Rules, all decided in one transaction under an advisory lock, so instances starting together do not race:
 * <ul>
 *   <li>The server must be PostgreSQL 14 or newer with a UTF8 database.</li>
 *   <li>A schema with agno-memory's version table at the latest version is used as it is (after checking that
 *       every table and function is there).</li>
 *   <li>An older version is migrated by the {@link Migration} steps after it.</li>
 *   <li>A newer version, a version table that is not agno-memory's, or tables or functions with agno-memory's names
 *       but no version table are refused with a {@link PostgresSchemaException}, and nothing is changed.</li>
 *   <li>An empty or missing schema is created (the schema itself only when it does not exist), unless creation is
 *       switched off.</li>
 * </ul>
 */
final class SchemaInstaller {

    private static final Logger log = LoggerFactory.getLogger(SchemaInstaller.class);

    static final String VERSION_TABLE = "agno_memory_schema";
    private static final List<String> RELATIONS = List.of(VERSION_TABLE, "change_seq", "sessions", "runs",
            "messages", "memories", "memory_embeddings", "memory_history", "memory_versions", "session_turns",
            "session_turn_waiters");
    private static final List<String> FUNCTIONS = List.of("make_commit_durable", "lock_session", "create_session",
            "append_messages", "finish_run", "update_session", "save_summary", "delete_session", "lock_memories",
            "record_memory_change", "save_memory", "delete_memory", "delete_memories", "save_memory_embedding",
            "turn_epoch", "create_session_in_turn", "try_turn", "renew_turn", "release_turn", "leave_turn_line");
    private static final Set<String> VERSION_COLUMNS = Set.of("version", "description", "product", "applied_at");

    private final String schema;
    private final String quotedSchema;
    private final boolean create;

    SchemaInstaller(String schema, String quotedSchema, boolean create) {
        this.schema = schema;
        this.quotedSchema = quotedSchema;
        this.create = create;
    }

    void install(PgConnections db) {
        db.inTransaction("Checking the agno-memory schema " + schema, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                s.setString(1, "agno-memory schema " + schema);
                s.execute();
            }
            checkServer(c);
            Set<String> relations = existing(c, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON "
                    + "n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ANY (?)", RELATIONS);
            Set<String> functions = existing(c, "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON "
                    + "n.oid = p.pronamespace WHERE n.nspname = ? AND p.proname = ANY (?)", FUNCTIONS);
            if (relations.contains(VERSION_TABLE)) {
                int version = checkVersionTable(c);
                if (version > Migration.LATEST) {
                    throw new PostgresSchemaException(schema, "it is at schema version " + version
                            + ", written by a newer agno-memory; this version reads and writes version "
                            + Migration.LATEST + ". Use the newer agno-memory.");
                }
                if (version == Migration.LATEST) {
                    requireComplete(relations, functions);
                    return null;
                }
                migrate(c, version);
                return null;
            }
            if (!relations.isEmpty() || !functions.isEmpty()) {
                Set<String> names = new TreeSet<>(relations);
                names.addAll(functions);
                throw new PostgresSchemaException(schema, "it has tables or functions named like agno-memory's ("
                        + String.join(", ", names) + ") but no " + VERSION_TABLE + " table, so they are not "
                        + "agno-memory's. Use another schema (PostgresStorage.builder().schema(...)).");
            }
            if (!create) {
                throw new PostgresSchemaException(schema, "it has no agno-memory tables and creating them is "
                        + "switched off (createSchema(false)). Run " + Migration.files() + " from the agno-memory jar "
                        + "(see docs/postgres.md) or allow creation.");
            }
            if (!schemaExists(c)) {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE SCHEMA " + quotedSchema);
                }
            }
            migrate(c, 0);
            return null;
        });
    }

    private void checkServer(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int, "
                        + "current_setting('server_version'), current_setting('server_encoding'), "
                        + "current_setting('fsync')")) {
            rs.next();
            if (rs.getInt(1) < 140000) {
                throw new PostgresSchemaException(schema, "the server is PostgreSQL " + rs.getString(2)
                        + "; agno-memory needs PostgreSQL 14 or newer.");
            }
            if (!"UTF8".equals(rs.getString(3))) {
                throw new PostgresSchemaException(schema, "the database encoding is " + rs.getString(3)
                        + "; agno-memory needs a UTF8 database to store any text.");
            }
            if ("off".equals(rs.getString(4))) {
                log.warn("PostgreSQL runs with fsync = off: writes of the agno-memory schema {} survive a crash of "
                        + "PostgreSQL but not of the machine", schema);
            }
        }
    }

    private Set<String> existing(Connection c, String sql, List<String> names) throws SQLException {
        Set<String> found = new TreeSet<>();
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, schema);
            Array array = c.createArrayOf("text", names.toArray());
            s.setArray(2, array);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1));
                }
            }
        }
        return found;
    }

    private boolean schemaExists(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            s.setString(1, schema);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** @return the version the table records, after checking that it is agno-memory's table */
    private int checkVersionTable(Connection c) throws SQLException {
        Set<String> columns = new TreeSet<>();
        try (PreparedStatement s = c.prepareStatement("SELECT column_name FROM information_schema.columns "
                + "WHERE table_schema = ? AND table_name = ?")) {
            s.setString(1, schema);
            s.setString(2, VERSION_TABLE);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
        }
        if (!columns.equals(VERSION_COLUMNS)) {
            throw new PostgresSchemaException(schema, "its table " + VERSION_TABLE + " has the columns " + columns
                    + ", not agno-memory's " + new TreeSet<>(VERSION_COLUMNS) + "; it is not agno-memory's.");
        }
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT max(version), count(*), count(*) FILTER (WHERE product <> "
                        + "'agno-memory') FROM " + quotedSchema + "." + VERSION_TABLE)) {
            rs.next();
            if (rs.getLong(2) == 0 || rs.getLong(3) > 0) {
                throw new PostgresSchemaException(schema, "its table " + VERSION_TABLE + " records no agno-memory "
                        + "version; it is not agno-memory's, or its creation was interrupted outside a transaction.");
            }
            return rs.getInt(1);
        }
    }

    private void requireComplete(Set<String> relations, Set<String> functions) {
        List<String> missing = new ArrayList<>();
        RELATIONS.stream().filter(r -> !relations.contains(r)).forEach(missing::add);
        FUNCTIONS.stream().filter(f -> !functions.contains(f)).map(f -> f + "()").forEach(missing::add);
        if (!missing.isEmpty()) {
            throw new PostgresSchemaException(schema, "it is at version " + Migration.LATEST + " but lacks "
                    + String.join(", ", missing) + "; someone dropped them. Restore the schema from a backup.");
        }
    }

    private void migrate(Connection c, int from) throws SQLException {
        for (Migration m : Migration.ALL) {
            if (m.version() > from) {
                try (Statement s = c.createStatement()) {
                    s.execute(m.sql(quotedSchema));
                }
                log.info("agno-memory schema {}: applied version {} ({})", schema, m.version(), m.resource());
            }
        }
    }
}
