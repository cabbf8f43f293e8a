package dev.agnomemory.core.storage.postgres;

import dev.agnomemory.core.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One versioned step of the PostgreSQL schema: a SQL file shipped in this package, written for the schema
 * {@code agno_memory} and applied to another schema by replacing that qualifier. A database at version {@code n}
 * is brought to the newest version by applying the steps after {@code n}, in order, in one transaction; each step
 * records itself in {@code agno_memory_schema}.
 *
 * @param version the schema version the step produces
 * @param resource the SQL file, relative to this package
 */
record Migration(int version, String resource) {

    /** Every step, oldest first. A new schema version adds a step here and never edits a shipped one. */
    static final List<Migration> ALL = List.of(new Migration(1, "schema-v1.sql"),
            new Migration(2, "schema-v2.sql"));

    /** The schema version this code reads and writes. */
    static final int LATEST = ALL.get(ALL.size() - 1).version();

    /** The qualifier the shipped files use. */
    static final String SHIPPED_SCHEMA = "agno_memory";

    /** @return the names of every step's file, in order, for messages ("schema-v1.sql then schema-v2.sql") */
    static String files() {
        return String.join(" then ", ALL.stream().map(Migration::resource).toList());
    }

    /** @return the step's SQL for the schema {@code quotedSchema} (already quoted) */
    String sql(String quotedSchema) {
        try (InputStream in = Migration.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new StorageException("The schema file " + resource + " is missing from the agno-memory jar");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.replace(SHIPPED_SCHEMA + ".", quotedSchema + ".");
        } catch (IOException e) {
            throw new StorageException("Reading the schema file " + resource + " failed", e);
        }
    }
}
