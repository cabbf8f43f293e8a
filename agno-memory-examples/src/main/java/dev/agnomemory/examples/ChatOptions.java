package dev.agnomemory.examples;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The command line of {@link PersistentChat}: {@code [--db FILE|JDBC-URL] [--user ID] [--help]}, also as
 * {@code --db=FILE}.
 *
 * @param db the store: a file, or a {@code jdbc:postgresql:} URL
 * @param userId whose sessions are listed and continued
 * @param help whether only the usage was asked for
 */
record ChatOptions(String db, String userId, boolean help) {

    static final String DEFAULT_DB = "agno-memory-example.db";
    static final String DEFAULT_USER = "default";

    static final String USAGE = """
            usage: PersistentChat [--db FILE] [--user ID]
              --db FILE   the memory store (default %s in the working directory; created if missing),
                          or a PostgreSQL database: jdbc:postgresql://host/db?user=u&password=p
              --user ID   whose sessions to list and continue (default "%s")
            The model is configured with OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL."""
            .formatted(DEFAULT_DB, DEFAULT_USER);

    /**
     * @param args the command line
     * @return the options
     * @throws IllegalArgumentException with a one-line explanation when the command line is wrong
     */
    static ChatOptions parse(String[] args) {
        String db = DEFAULT_DB;
        String user = DEFAULT_USER;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                return new ChatOptions(DEFAULT_DB, DEFAULT_USER, true);
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!name.equals("--db") && !name.equals("--user")) {
                throw new IllegalArgumentException("Unknown argument: " + arg);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                value = args[++i];
            }
            if (value.isBlank()) {
                throw new IllegalArgumentException(name + " must not be blank");
            }
            if (name.equals("--db")) {
                db = value;
            } else {
                user = value.strip();
            }
        }
        if (!PostgresStore.isJdbcUrl(db)) {
            try {
                Path.of(db);
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("Not a valid file name for --db: " + db);
            }
        }
        return new ChatOptions(db, user, false);
    }

    /** @return whether the store is a PostgreSQL database */
    boolean jdbc() {
        return PostgresStore.isJdbcUrl(db);
    }

    /** @return the store file; only when not {@link #jdbc()} */
    Path file() {
        return Path.of(db);
    }
}
