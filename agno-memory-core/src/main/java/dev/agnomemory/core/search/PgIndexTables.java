package dev.agnomemory.core.search;

import dev.agnomemory.core.storage.postgres.PgText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and checks the tables of a {@link PostgresConversationIndex} when it is built.
 *
 * <p>Rules, decided in one transaction under an advisory lock (instances starting together do not race):
 * <ul>
 *   <li>The schema must hold the storage's tables (the index's rows reference its sessions).</li>
 *   <li>No index tables: they are created from {@value #RESOURCE}, with the format and the embedding model.</li>
 *   <li>An incomplete set of tables, or a format row that is missing, unreadable or of an older format: logged,
 *       dropped and created empty (derived data, filled again from storage).</li>
 *   <li>A newer format (written by a newer agno-memory, whose instances may share the database) is refused with a
 *       {@link SearchIndexException} naming the schema and both formats, and nothing is changed.</li>
 *   <li>Another embedding model or dimension than the embedder's: every message is re-embedded from its stored text
 *       (logged), and every session's change stamp moves so that all instances read the new vectors.</li>
 * </ul>
 */
final class PgIndexTables {

    private static final Logger log = LoggerFactory.getLogger(PgIndexTables.class);

    static final int FORMAT = 1;
    static final String RESOURCE = "postgres-index-v1.sql";
    private static final List<String> RELATIONS = List.of("search_index", "search_change_seq", "search_sessions",
            "search_messages");
    private static final int REEMBED_PAGE = 1_000;

    private final String schema;
    private final String q;
    private final Embeddings embeddings;

    PgIndexTables(String schema, String q, Embeddings embeddings) {
        this.schema = schema;
        this.q = q;
        this.embeddings = embeddings;
    }

    void install(PostgresConversationIndex index) {
        index.call("open", true, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                s.setString(1, "agno-memory conversation index " + schema);
                s.execute();
            }
            if (!exists(c, List.of("sessions")).contains("sessions")) {
                throw new SearchIndexException("The PostgreSQL schema " + schema + " has no agno-memory storage "
                        + "tables; build the PostgresStorage before its conversation index", null);
            }
            Set<String> present = exists(c, RELATIONS);
            if (present.isEmpty()) {
                create(c);
                log.info("Created the conversation index tables in PostgreSQL schema {}", schema);
                return null;
            }
            String damage = present.size() < RELATIONS.size() ? "lacks " + missing(present) : null;
            String[] meta = damage == null ? readMeta(c) : null;
            if (damage == null && meta == null) {
                damage = "has no readable format row in search_index";
            } else if (damage == null && !String.valueOf(FORMAT).equals(meta[0])) {
                if (Integer.parseInt(meta[0]) > FORMAT) {
                    // Instances of a newer version may share this database: their index is not ours to drop.
                    throw new SearchIndexException("The conversation index in PostgreSQL schema " + schema
                            + " is of format " + meta[0] + ", written by a newer agno-memory; this version reads "
                            + "and writes format " + FORMAT + ". Use the newer agno-memory; nothing was changed.",
                            null);
                }
                damage = "is of format " + meta[0] + " (this version writes " + FORMAT + ")";
            }
            if (damage != null) {
                log.warn("The conversation index in PostgreSQL schema {} {}; dropping it and starting empty, to be "
                        + "filled again from storage", schema, damage);
                try (Statement s = c.createStatement()) {
                    s.execute("DROP TABLE IF EXISTS " + q + "search_messages, " + q + "search_sessions, " + q
                            + "search_index CASCADE");
                    s.execute("DROP SEQUENCE IF EXISTS " + q + "search_change_seq");
                }
                create(c);
                return null;
            }
            TextEmbedder embedder = embeddings.embedder();
            if (!embedder.modelId().equals(meta[1]) || !String.valueOf(embedder.dimensions()).equals(meta[2])) {
                reembed(c, meta[1]);
            }
            return null;
        });
    }

    private Set<String> exists(Connection c, List<String> names) throws SQLException {
        Set<String> found = new TreeSet<>();
        try (PreparedStatement s = c.prepareStatement("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON "
                + "n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ANY (?)")) {
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

    private static String missing(Set<String> present) {
        List<String> missing = new ArrayList<>(RELATIONS);
        missing.removeAll(present);
        return String.join(", ", missing);
    }

    /** @return format, model, dimensions as text; null when the row is missing or cannot be read */
    private String[] readMeta(Connection c) throws SQLException {
        Savepoint before = c.setSavepoint();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT format, model, dimensions FROM " + q + "search_index")) {
            return rs.next() ? new String[] {rs.getString(1), rs.getString(2), rs.getString(3)} : null;
        } catch (SQLException e) {
            c.rollback(before); // a table of another shape: the transaction goes on
            return null;
        }
    }

    private void create(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql());
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO " + q + "search_index (format, model, dimensions) "
                + "VALUES (?, ?, ?)")) {
            s.setInt(1, FORMAT);
            s.setString(2, embeddings.embedder().modelId());
            s.setInt(3, embeddings.dimensions());
            s.executeUpdate();
        }
    }

    private String sql() {
        try (InputStream in = PgIndexTables.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new SearchIndexException("The file " + RESOURCE + " is missing from the agno-memory jar", null);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("agno_memory.", q);
        } catch (IOException e) {
            throw new SearchIndexException("Reading " + RESOURCE + " failed", e);
        }
    }

    /** Re-embeds every message from its stored text, page by page, in the install transaction. */
    private void reembed(Connection c, String previousModel) throws SQLException {
        long stamp;
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT nextval('" + q + "search_change_seq')")) {
            rs.next();
            stamp = rs.getLong(1);
        }
        log.info("The conversation index in PostgreSQL schema {} was embedded with {}; re-embedding its messages "
                + "with {}", schema, previousModel, embeddings.embedder().modelId());
        long last = 0;
        long count = 0;
        while (true) {
            List<Long> ids = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT id, text FROM " + q + "search_messages WHERE id > ? "
                    + "ORDER BY id LIMIT " + REEMBED_PAGE)) {
                s.setLong(1, last);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                        texts.add(PgText.decode(rs.getString(2)));
                    }
                }
            }
            if (ids.isEmpty()) {
                break;
            }
            List<float[]> vectors = embeddings.embed(texts);
            byte[][] bytes = new byte[vectors.size()][];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = PostgresConversationIndex.bytes(vectors.get(i));
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE " + q + "search_messages m SET vector = v.vector, "
                    + "change = ? FROM unnest(?::bigint[], ?::bytea[]) AS v(id, vector) WHERE m.id = v.id")) {
                s.setLong(1, stamp);
                s.setArray(2, c.createArrayOf("bigint", ids.toArray()));
                s.setArray(3, c.createArrayOf("bytea", bytes));
                s.executeUpdate();
            }
            last = ids.get(ids.size() - 1);
            count += ids.size();
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE " + q + "search_sessions SET change = ?")) {
            s.setLong(1, stamp);
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE " + q + "search_index SET model = ?, dimensions = ?")) {
            s.setString(1, embeddings.embedder().modelId());
            s.setInt(2, embeddings.dimensions());
            s.executeUpdate();
        }
        log.info("Re-embedded {} messages of the conversation index in PostgreSQL schema {}", count, schema);
    }
}
