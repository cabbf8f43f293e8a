package dev.agnomemory.examples.bench;

import dev.agnomemory.core.Message;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What the two SQLite stores of the benchmark share: one connection to one file in WAL mode with
 * {@code synchronous=FULL} (every commit is on disk when it returns), autocommit unless a subclass batches its
 * pre-fill, and statements prepared again after each open.
 */
abstract class SqliteStore implements BenchStore {

    final Path file;
    final int runsPerSession;
    final List<String> sessions = new ArrayList<>();
    Connection connection;
    long textCursor;
    private long appended;

    SqliteStore(Path file, int runsPerSession) {
        this.file = file;
        this.runsPerSession = runsPerSession;
    }

    /** @return the session the next appended run goes to (see {@link BenchStore}) */
    final int nextSession() {
        int i = (int) Math.min(appended / runsPerSession, sessions.size() - 1);
        appended++;
        return i;
    }

    /** @return the messages of the next appended run */
    final Message[] nextRunMessages(TextPool texts) {
        Message[] m = AgnoStore.runMessages(texts, textCursor);
        textCursor += 4;
        return m;
    }

    final void open() throws SQLException {
        connection = DriverManager.getConnection("jdbc:sqlite:" + file);
        try (Statement st = connection.createStatement()) {
            st.execute("PRAGMA journal_mode=WAL");
            st.execute("PRAGMA synchronous=FULL");
        }
    }

    /** Prepares the store's statements on {@link #connection}. */
    abstract void prepare() throws SQLException;

    @Override
    public final long timeOpenAndFirstRead() {
        long t0 = System.nanoTime();
        try {
            open();
            prepare();
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot open the SQLite store " + file, e);
        }
        readLast3();
        return System.nanoTime() - t0;
    }

    @Override
    public final List<Path> files() {
        return BenchStore.filesStartingWith(file.getParent(), file.getFileName().toString());
    }

    @Override
    public final void close() {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot close the SQLite store " + file, e);
        }
        connection = null;
    }
}
