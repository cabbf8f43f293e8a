package dev.agnomemory.examples.bench;

import dev.agnomemory.core.Session;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Storage benchmark of agno-memory's {@code MapDbStorage}, against the JSON-per-session MapDB pattern of
 * LangChain4j's persistent chat memory example and against the disk's plain fsync loop. A plain harness (not a
 * JMH or timed test); run it with {@code ./mvnw -B -q -Pbench -pl agno-memory-examples -am verify -DskipTests}.
 * See {@code docs/benchmarks.md} for what every row means.
 *
 * <p>Options (system properties, all optional):
 * <ul>
 *   <li>{@code bench.quick=true} (or the argument {@code --quick}): fewer rounds and iterations, under a minute;</li>
 *   <li>{@code bench.rounds}: measurement rounds (default 10, quick 2);</li>
 *   <li>{@code bench.sizes}: session lengths in runs (default {@code 10,1000,10000});</li>
 *   <li>{@code bench.threads}: writer threads of the concurrent measurement (default 8);</li>
 *   <li>{@code bench.dir}: where the measured stores live (default {@code target} if present, else the temp
 *       directory); a fresh sub-directory is created and deleted afterwards;</li>
 *   <li>{@code bench.prefillDir}: where stores are built before being copied to {@code bench.dir} (default
 *       {@code /dev/shm} when present; {@code none} builds them in place, which is slow: one fsync per write).</li>
 * </ul>
 *
 * <p>Measurements interleave what they compare, so the shared disk's drifting fsync latency hits both sides of a
 * ratio alike: appends round-robin over the session lengths, one run at a time, with plain fsync slots between
 * them; every ratio is computed within a round and the median over rounds is reported.
 */
public final class StorageBenchmark {

    /** Durable write calls per run: 4 x appendMessage + completeRun. */
    static final int WRITES_PER_RUN = 5;

    private final Config cfg;
    private final Path dir;
    private final Path prefillDir;
    private final TextPool texts = new TextPool(42, 4096);
    private final long started = System.nanoTime();
    /** Receives a hash of every read, so the JIT cannot drop a read. */
    private volatile int sink;

    // results
    private final Map<Integer, Samples> agnoAppend = new LinkedHashMap<>();
    private final Map<Integer, Samples> agnoRead = new LinkedHashMap<>();
    private final Map<Integer, Samples> baseAppend = new LinkedHashMap<>();
    private final Map<Integer, Samples> baseRead = new LinkedHashMap<>();
    private final Samples agnoWritesPerSec = new Samples();
    private final Samples rafPerSec = new Samples();
    private final Samples channelPerSec = new Samples();
    private final Samples concurrentPerSec = new Samples();
    private final Samples ratioAgnoRaf = new Samples();
    private final Samples ratioAgnoChannel = new Samples();
    private final Samples ratioConcurrentRaf = new Samples();
    private final Samples agnoExtraPerWrite = new Samples();
    private double journalBytesPerWrite;
    private final List<String> notes = new ArrayList<>();

    private StorageBenchmark(Config cfg, Path dir, Path prefillDir) {
        this.cfg = cfg;
        this.dir = dir;
        this.prefillDir = prefillDir;
        for (int n : cfg.sizes) {
            agnoAppend.put(n, new Samples());
            agnoRead.put(n, new Samples());
            baseAppend.put(n, new Samples());
            baseRead.put(n, new Samples());
        }
    }

    public static void main(String[] args) throws Exception {
        // MapDbStorage logs INFO lines; keep the output to the table (before any logger is created).
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Config cfg = Config.from(args);
        Files.createDirectories(cfg.baseDir);
        Path dir = Files.createTempDirectory(cfg.baseDir, "storage-bench-");
        Path prefill = cfg.prefillBase == null ? null : Files.createTempDirectory(cfg.prefillBase, "storage-bench-");
        Runnable cleanUp = () -> {
            deleteRecursively(dir);
            if (prefill != null) {
                deleteRecursively(prefill);
            }
        };
        // also on Ctrl-C: the pre-fill directory may be a tmpfs (memory)
        Thread hook = new Thread(cleanUp, "bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            new StorageBenchmark(cfg, dir, prefill).run();
        } finally {
            cleanUp.run();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    private void run() throws Exception {
        progress("mode %s, %d rounds, sizes %s runs, stores in %s, pre-fill in %s", cfg.quick ? "quick" : "full",
                cfg.rounds, cfg.sizes, dir, prefillDir == null ? "place (no tmpfs)" : prefillDir);
        Map<Integer, AgnoStore> agno = new LinkedHashMap<>();
        Map<Integer, JsonSessionBaseline> base = new LinkedHashMap<>();
        AgnoStore concurrentStore = null;
        ConcurrentAppends concurrent = null;
        PlainFsyncLoop plain = null;
        try {
            for (int n : cfg.sizes) {
                int appends = cfg.agnoWarmRuns + cfg.rounds * cfg.agnoRunsPerRound;
                int sessions = ceilDiv(appends, n);
                long t0 = System.nanoTime();
                Path build = prefillDir == null ? dir.resolve("agno-" + n) : prefillDir.resolve("agno-" + n);
                agno.put(n, AgnoStore.prefill(build, dir.resolve("agno-" + n), "agno-" + n, n, sessions, texts));
                progress("agno-memory store: %d session(s) of %,d runs pre-filled in %.1f s", sessions, n,
                        secondsSince(t0));
            }
            for (int n : cfg.sizes) {
                int appends = cfg.baselineWarmRuns(n) + cfg.rounds * cfg.baselineRunsPerRound(n);
                int sessions = ceilDiv(appends, n);
                long t0 = System.nanoTime();
                Files.createDirectories(dir.resolve("baseline-" + n));
                base.put(n, new JsonSessionBaseline(dir.resolve("baseline-" + n).resolve("chat-memory.db"), n,
                        sessions, texts));
                progress("baseline store: %d session(s) of %,d runs pre-filled in %.1f s", sessions, n,
                        secondsSince(t0));
            }

            measureReads(agno, base);

            // ---- appends: warm-up, which also measures the journal bytes per durable write ----
            long journalBytes = 0;
            long writes = 0;
            for (int w = 0; w < cfg.agnoWarmRuns; w++) {
                for (AgnoStore s : agno.values()) {
                    long before = Files.size(s.journal());
                    s.appendRun(texts);
                    journalBytes += Files.size(s.journal()) - before;
                    writes += WRITES_PER_RUN;
                }
            }
            journalBytesPerWrite = (double) journalBytes / writes;
            plain = new PlainFsyncLoop(dir, (int) Math.round(journalBytesPerWrite));
            plain.rafSync(20);
            plain.channelForce(20);
            concurrentStore = AgnoStore.empty(dir.resolve("agno-concurrent"), "agno-concurrent", cfg.threads);
            concurrent = new ConcurrentAppends(concurrentStore, cfg.threads);
            concurrent.round(2, texts);
            for (int n : cfg.sizes) {
                for (int w = 0; w < cfg.baselineWarmRuns(n); w++) {
                    base.get(n).appendRun(texts);
                }
            }
            progress("append warm-up done; agno-memory journals %.0f bytes per durable write", journalBytesPerWrite);

            for (int r = 0; r < cfg.rounds; r++) {
                appendRound(r, agno, base, plain, concurrent);
            }

            verify(agno);
        } finally {
            for (AgnoStore s : agno.values()) {
                s.close();
            }
            for (JsonSessionBaseline b : base.values()) {
                b.close();
            }
            if (concurrent != null) {
                concurrent.close();
            }
            if (concurrentStore != null) {
                concurrentStore.close();
            }
            if (plain != null) {
                plain.close();
            }
        }
        printReport();
    }

    // ---- reads (before any append, on sessions of exactly N runs) ----

    private void measureReads(Map<Integer, AgnoStore> agno, Map<Integer, JsonSessionBaseline> base) {
        long t0 = System.nanoTime();
        List<AgnoStore> stores = new ArrayList<>(agno.values());
        for (int i = 0; i < cfg.agnoReadWarm; i++) {
            for (AgnoStore s : stores) {
                sink += s.readLast3();
            }
        }
        for (int n : cfg.sizes) {
            for (int i = 0; i < cfg.baselineReadsPerRound(n); i++) {
                sink += base.get(n).readLast3();
            }
        }
        int k = stores.size();
        for (int r = 0; r < cfg.rounds; r++) {
            // agno-memory: one read per size in turn, so drift of the machine hits every size alike
            for (int i = 0; i < cfg.agnoReadsPerRound; i++) {
                for (int j = 0; j < k; j++) {
                    int n = cfg.sizes.get((i + j) % k);
                    AgnoStore s = agno.get(n);
                    long t = System.nanoTime();
                    sink += s.readLast3();
                    agnoRead.get(n).add(System.nanoTime() - t);
                }
            }
            for (int j = 0; j < k; j++) {
                int n = cfg.sizes.get((r + j) % k);
                JsonSessionBaseline b = base.get(n);
                for (int i = 0; i < cfg.baselineReadsPerRound(n); i++) {
                    long t = System.nanoTime();
                    sink += b.readLast3();
                    baseRead.get(n).add(System.nanoTime() - t);
                }
            }
        }
        progress("reads measured in %.1f s", secondsSince(t0));
    }

    // ---- one round of appends ----

    private void appendRound(int round, Map<Integer, AgnoStore> agno, Map<Integer, JsonSessionBaseline> base,
            PlainFsyncLoop plain, ConcurrentAppends concurrent) throws InterruptedException {
        long t0 = System.nanoTime();
        int k = cfg.sizes.size();
        long agnoNanos = 0;
        long agnoWrites = 0;
        long rafNanos = 0;
        long rafWrites = 0;
        long channelNanos = 0;
        long channelWrites = 0;
        for (int c = 0; c < cfg.agnoRunsPerRound; c++) {
            for (int j = 0; j < k; j++) {
                int n = cfg.sizes.get((c + j) % k);
                long t = agno.get(n).appendRun(texts);
                agnoAppend.get(n).add(t);
                agnoNanos += t;
                agnoWrites += WRITES_PER_RUN;
            }
            if (c % 2 == 0) {
                rafNanos += plain.rafSync(cfg.plainPerSlot);
                channelNanos += plain.channelForce(cfg.plainPerSlot);
            } else {
                channelNanos += plain.channelForce(cfg.plainPerSlot);
                rafNanos += plain.rafSync(cfg.plainPerSlot);
            }
            rafWrites += cfg.plainPerSlot;
            channelWrites += cfg.plainPerSlot;
        }
        double agnoRate = agnoWrites / (agnoNanos / 1e9);
        double rafRate = rafWrites / (rafNanos / 1e9);
        double channelRate = channelWrites / (channelNanos / 1e9);

        long wall = concurrent.round(cfg.threadRunsPerRound, texts);
        // a short plain slot right after, so the concurrent ratio has a close-in-time reference too
        long rafAfter = plain.rafSync(cfg.plainPerSlot * 4);
        double rafRateConcurrent = (rafWrites + cfg.plainPerSlot * 4) / ((rafNanos + rafAfter) / 1e9);
        double concurrentRate = (double) concurrent.threads() * cfg.threadRunsPerRound * WRITES_PER_RUN
                / (wall / 1e9);

        agnoWritesPerSec.add(agnoRate);
        rafPerSec.add(rafRate);
        channelPerSec.add(channelRate);
        concurrentPerSec.add(concurrentRate);
        ratioAgnoRaf.add(agnoRate / rafRate);
        ratioAgnoChannel.add(agnoRate / channelRate);
        ratioConcurrentRaf.add(concurrentRate / rafRateConcurrent);
        agnoExtraPerWrite.add(1e9 / agnoRate - 1e9 / rafRate);

        for (int j = 0; j < k; j++) {
            int n = cfg.sizes.get((round + j) % k);
            JsonSessionBaseline b = base.get(n);
            for (int i = 0; i < cfg.baselineRunsPerRound(n); i++) {
                baseAppend.get(n).add(b.appendRun(texts));
            }
        }
        progress("round %d/%d in %.1f s: agno %.0f writes/s, plain fsync %.0f/s, fdatasync %.0f/s, %d threads "
                + "%.0f writes/s", round + 1, cfg.rounds, secondsSince(t0), agnoRate, rafRate, channelRate,
                concurrent.threads(), concurrentRate);
    }

    /** Reopens the largest store and checks that every acknowledged run is there. */
    private void verify(Map<Integer, AgnoStore> agno) {
        int n = cfg.sizes.get(cfg.sizes.size() - 1);
        AgnoStore s = agno.get(n);
        int appended = cfg.agnoWarmRuns + cfg.rounds * cfg.agnoRunsPerRound;
        s.reopen();
        long expectedRuns = n + Math.min(appended, n);
        Session session = s.storage().session(s.readSession()).orElseThrow();
        if (session.runCount() != expectedRuns) {
            throw new IllegalStateException("Session of the " + n + "-run store has " + session.runCount()
                    + " runs after reopening, expected " + expectedRuns);
        }
        notes.add(String.format(Locale.ROOT, "check: after reopening, the %,d-run store's session has all %,d "
                + "runs", n, expectedRuns));
    }

    // ---- report ----

    private void printReport() {
        int small = cfg.sizes.get(0);
        int large = cfg.sizes.get(cfg.sizes.size() - 1);
        StringBuilder out = new StringBuilder();
        out.append('\n');
        out.append("agno-memory storage benchmark (").append(cfg.quick ? "QUICK mode" : "full mode").append(", ")
                .append(cfg.rounds).append(" rounds)\n");
        out.append(String.format(Locale.ROOT, "JDK %s (%s), %s %s, %d CPUs; %.0f s in total%n",
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                System.getProperty("os.name"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), secondsSince(started)));
        out.append(String.format(Locale.ROOT, "One run = 4 messages of ~%d chars (user, assistant, user, "
                + "assistant) + completeRun = 5 durable writes; agno-memory journals %.0f bytes per write.%n",
                TextPool.TARGET_LENGTH, journalBytesPerWrite));
        out.append("Stores live in ").append(dir.getParent()).append(prefillDir == null
                ? "; pre-filled in place through the public API.\n"
                : "; pre-filled through the public API in " + prefillDir.getParent()
                        + " (tmpfs), then copied there and fsync'd.\n");
        out.append('\n');

        List<String> header = new ArrayList<>(List.of("Session length (runs)"));
        for (int n : cfg.sizes) {
            header.add(String.format(Locale.ROOT, "%,d", n));
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(row("agno-memory append 1 run, median", agnoAppend, s -> time(s.median())));
        rows.add(row("agno-memory append 1 run, p90", agnoAppend, s -> time(s.percentile(90))));
        rows.add(row("  samples (runs)", agnoAppend, s -> Integer.toString(s.size())));
        rows.add(row("baseline JSON append 1 run, median", baseAppend, s -> time(s.median())));
        rows.add(row("baseline JSON append 1 run, p90", baseAppend, s -> time(s.percentile(90))));
        rows.add(row("  samples (runs)", baseAppend, s -> Integer.toString(s.size())));
        rows.add(row("agno-memory read last 3 runs, median", agnoRead, s -> time(s.median())));
        rows.add(row("agno-memory read last 3 runs, p90", agnoRead, s -> time(s.percentile(90))));
        rows.add(row("  samples (reads)", agnoRead, s -> Integer.toString(s.size())));
        rows.add(row("baseline JSON read last 3 runs, median", baseRead, s -> time(s.median())));
        rows.add(row("  samples (reads)", baseRead, s -> Integer.toString(s.size())));
        out.append(table(header, rows));
        out.append('\n');

        List<List<String>> tput = new ArrayList<>();
        tput.add(List.of("agno-memory durable writes/s, 1 thread", rate(agnoWritesPerSec),
                spread(agnoWritesPerSec)));
        tput.add(List.of("plain loop: RandomAccessFile write + fsync /s", rate(rafPerSec), spread(rafPerSec)));
        tput.add(List.of("plain loop: FileChannel write + force(false) /s", rate(channelPerSec),
                spread(channelPerSec)));
        tput.add(List.of(String.format(Locale.ROOT, "agno-memory durable writes/s, %d threads x %d sessions",
                cfg.threads, cfg.threads), rate(concurrentPerSec), spread(concurrentPerSec)));
        out.append(table(List.of("Durable throughput (median of rounds)", "per second", "min .. max of rounds"),
                tput));
        out.append(String.format(Locale.ROOT, "Plain fsync latency %s (median of rounds); agno-memory spends %s "
                + "more per durable write than the plain loop (median of rounds; %s .. %s).%n",
                time(1e9 / rafPerSec.median()), time(agnoExtraPerWrite.median()),
                time(agnoExtraPerWrite.percentile(0)), time(agnoExtraPerWrite.percentile(100))));
        out.append('\n');

        List<List<String>> targets = new ArrayList<>();
        double appendRatio = agnoAppend.get(large).median() / agnoAppend.get(small).median();
        targets.add(target(String.format(Locale.ROOT, "agno append at %,d / at %,d runs", large, small),
                appendRatio, "<= 1.5x", appendRatio <= 1.5));
        double baseRatio = baseAppend.get(large).median() / agnoAppend.get(large).median();
        targets.add(target(String.format(Locale.ROOT, "baseline append / agno append at %,d runs", large),
                baseRatio, ">= 50x", baseRatio >= 50));
        targets.add(target("agno writes/s / plain fsync loop /s (1 thread)", ratioAgnoRaf.median(), ">= 0.5",
                ratioAgnoRaf.median() >= 0.5));
        targets.add(target("agno writes/s / plain force(false) loop /s", ratioAgnoChannel.median(), ">= 0.5",
                ratioAgnoChannel.median() >= 0.5));
        double readRatio = agnoRead.get(large).median() / agnoRead.get(small).median();
        targets.add(target(String.format(Locale.ROOT, "agno read last 3 at %,d / at %,d runs", large, small),
                readRatio, "flat (<= 1.5x)", readRatio <= 1.5));
        targets.add(List.of(String.format(Locale.ROOT, "%d-thread agno writes/s / 1-thread plain fsync /s",
                cfg.threads), ratio(ratioConcurrentRaf.median()), "none (info)", "-"));
        out.append(table(List.of("Target (ratios from this run)", "value", "target", "result"), targets));
        out.append('\n');
        out.append("Per-round ratios (agno / plain fsync): ").append(list(ratioAgnoRaf)).append('\n');
        out.append("Per-round ratios (agno / plain force(false)): ").append(list(ratioAgnoChannel)).append('\n');
        out.append(String.format(Locale.ROOT, "Per-round ratios (%d threads / plain fsync): ", cfg.threads))
                .append(list(ratioConcurrentRaf)).append('\n');
        out.append(String.format(Locale.ROOT, "Other ratios: baseline append %,d/%,d runs = %s; baseline read "
                + "%,d/%,d = %s; baseline/agno read at %,d = %s%n", large, small,
                ratio(baseAppend.get(large).median() / baseAppend.get(small).median()), large, small,
                ratio(baseRead.get(large).median() / baseRead.get(small).median()), large,
                ratio(baseRead.get(large).median() / agnoRead.get(large).median())));
        for (String note : notes) {
            out.append(note).append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }

    private List<String> row(String label, Map<Integer, Samples> data,
            java.util.function.Function<Samples, String> cell) {
        List<String> r = new ArrayList<>();
        r.add(label);
        for (int n : cfg.sizes) {
            r.add(cell.apply(data.get(n)));
        }
        return r;
    }

    private static List<String> target(String label, double value, String target, boolean pass) {
        return List.of(label, ratio(value), target, pass ? "PASS" : "FAIL");
    }

    static String table(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w);
        StringBuilder sep = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            sep.append(i == 0 ? "" : "-+-").append("-".repeat(w[i]));
        }
        sb.append(sep).append('\n');
        for (List<String> r : rows) {
            line(sb, r, w);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w) {
        for (int i = 0; i < w.length; i++) {
            String c = cells.get(i);
            if (i == 0) {
                sb.append(c).append(" ".repeat(w[i] - c.length()));
            } else {
                sb.append(" | ").append(" ".repeat(w[i] - c.length())).append(c);
            }
        }
        sb.append('\n');
    }

    static String time(double nanos) {
        if (Double.isNaN(nanos)) {
            return "-";
        }
        if (nanos < 1e6) {
            return String.format(Locale.ROOT, "%.1f us", nanos / 1e3);
        }
        if (nanos < 1e9) {
            return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    private static String rate(Samples s) {
        return String.format(Locale.ROOT, "%,.0f", s.median());
    }

    private static String spread(Samples s) {
        return String.format(Locale.ROOT, "%,.0f .. %,.0f", s.percentile(0), s.percentile(100));
    }

    static String ratio(double r) {
        return r >= 10 ? String.format(Locale.ROOT, "%,.0fx", r) : String.format(Locale.ROOT, "%.2fx", r);
    }

    private static String list(Samples s) {
        StringBuilder sb = new StringBuilder();
        for (double d : s.sorted()) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", d));
        }
        return sb + " (sorted)";
    }

    private void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[bench %5.1fs] %s%n", secondsSince(started), String.format(Locale.ROOT,
                format, args));
    }

    private static double secondsSince(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static int ceilDiv(int a, int b) {
        return Math.max(1, (a + b - 1) / b);
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + root, e);
        }
    }

    /** Settings, from system properties (see the class comment). */
    static final class Config {
        final boolean quick;
        final int rounds;
        final List<Integer> sizes;
        final int threads;
        final Path baseDir;
        final Path prefillBase;
        final int agnoRunsPerRound;
        final int agnoWarmRuns;
        final int plainPerSlot;
        final int threadRunsPerRound;
        final int agnoReadsPerRound;
        final int agnoReadWarm;

        private Config(boolean quick, int rounds, List<Integer> sizes, int threads, Path baseDir, Path prefillBase) {
            this.quick = quick;
            this.rounds = rounds;
            this.sizes = sizes;
            this.threads = threads;
            this.baseDir = baseDir;
            this.prefillBase = prefillBase;
            this.agnoRunsPerRound = quick ? 10 : 20;
            this.agnoWarmRuns = 10;
            this.plainPerSlot = 5;
            this.threadRunsPerRound = quick ? 5 : 20;
            this.agnoReadsPerRound = quick ? 300 : 1000;
            this.agnoReadWarm = quick ? 1000 : 2000;
        }

        /** Baseline runs per round: all of them for short sessions, fewer as each rewrite gets bigger. */
        int baselineRunsPerRound(int n) {
            return clamp(Math.round(10_000f / n), 1, agnoRunsPerRound);
        }

        int baselineWarmRuns(int n) {
            return clamp(Math.round(100f / n), 1, 10);
        }

        int baselineReadsPerRound(int n) {
            return clamp(Math.round(10_000f / n), 2, agnoReadsPerRound);
        }

        static Config from(String[] args) {
            boolean quick = Boolean.parseBoolean(prop("bench.quick", "false"))
                    || Arrays.asList(args).contains("--quick");
            int rounds = Integer.parseInt(prop("bench.rounds", quick ? "2" : "10"));
            List<Integer> sizes = Arrays.stream(prop("bench.sizes", "10,1000,10000").split(","))
                    .map(String::trim).map(Integer::parseInt).sorted().toList();
            int threads = Integer.parseInt(prop("bench.threads", "8"));
            Path target = Path.of("target");
            Path baseDir = Path.of(prop("bench.dir",
                    Files.isDirectory(target) ? target.toString() : System.getProperty("java.io.tmpdir")));
            String pre = prop("bench.prefillDir", Files.isDirectory(Path.of("/dev/shm"))
                    && Files.isWritable(Path.of("/dev/shm")) ? "/dev/shm" : "none");
            Path prefillBase = pre.equalsIgnoreCase("none") ? null : Path.of(pre);
            if (rounds < 1 || threads < 1 || sizes.isEmpty() || sizes.get(0) < 1) {
                throw new IllegalArgumentException("bench.rounds, bench.threads and bench.sizes must be positive");
            }
            return new Config(quick, rounds, sizes, threads, baseDir.toAbsolutePath(), prefillBase);
        }

        /** A system property; blank counts as unset (the Maven profile passes unset options as empty). */
        private static String prop(String name, String def) {
            String v = System.getProperty(name);
            return v == null || v.isBlank() ? def : v.trim();
        }

        private static int clamp(int v, int min, int max) {
            return Math.max(min, Math.min(max, v));
        }
    }
}
