package dev.agnomemory.core.storage.postgres;

import dev.agnomemory.core.storage.StorageException;

/**
 * The database schema is not one {@link PostgresStorage} can use: its tables are not agno-memory's, it was written by
 * a newer version, it is incomplete, or the server is unsuitable (older than PostgreSQL 14, not UTF8). The database
 * was left exactly as it was.
 */
public class PostgresSchemaException extends StorageException {

    private static final long serialVersionUID = 1L;

    private final String schema;

    /**
     * @param schema the schema that was checked
     * @param problem what is wrong and what to do
     */
    public PostgresSchemaException(String schema, String problem) {
        super("PostgreSQL schema " + schema + ": " + problem + " Nothing was changed.");
        this.schema = schema;
    }

    /** @return the schema that was checked */
    public String schema() {
        return schema;
    }
}
