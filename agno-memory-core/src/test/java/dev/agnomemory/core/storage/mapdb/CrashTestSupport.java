package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Shared by the crash tests: starting a child JVM, reading what it acknowledged, the deterministic content of a
 * run (so the parent knows byte for byte what a run id must hold), and checking a reopened store against the
 * acknowledged runs.
 */
final class CrashTestSupport {

    /** The sessions the children write to; run {@code i} of a child goes to {@code SESSIONS.get(i % 4)}. */
    static final List<SessionKey> SESSIONS = List.of(SessionKey.of("alice", "s1"), SessionKey.of("alice", "s2"),
            SessionKey.of("bob", "s1"), SessionKey.of("carol", "chat"));

    static final String AGENT = "crash-agent";
    static final String ACK = "ACK ";

    /** Code points the content is made of: ASCII, Latin-1, CJK, an emoji (surrogate pair), NUL, newline, tab. */
    private static final int[] ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?\"'\\{}[]"
            + "\u00e9\u00fc\u00df\u00f1\u00e7\u00f8\u65e5\u672c\u8a9e\u4e2d\u6587\u20ac\ud83d\ude00\ud83d\ude80\u0000\n\t")
            .codePoints().toArray();

    private CrashTestSupport() {
    }

    static SessionKey sessionFor(int i) {
        return SESSIONS.get(i % SESSIONS.size());
    }

    /** The exact user message of run {@code runId}. */
    static Message userMessage(String runId) {
        return Message.builder(Role.USER).id(runId + "-u").content("question of " + runId + ": " + text(runId, 1, 40))
                .createdAt(instant(runId, 1)).build();
    }

    /** The exact assistant message of run {@code runId}: about 200 characters, with a payload. */
    static Message assistantMessage(String runId) {
        return Message.builder(Role.ASSISTANT).id(runId + "-a").content(text(runId, 2, 200))
                .createdAt(instant(runId, 2)).payload("{\"run\":\"" + runId + "\",\"x\":\"" + text(runId, 3, 20)
                        + "\"}")
                .build();
    }

    static List<Message> expectedMessages(String runId) {
        return List.of(userMessage(runId), assistantMessage(runId));
    }

    /** Writes one complete run and returns once {@code completeRun} returned, i.e. the run is acknowledged. */
    static void writeRun(MapDbStorage storage, SessionKey key, String runId) {
        storage.appendMessage(key, runId, userMessage(runId));
        storage.appendMessage(key, runId, assistantMessage(runId));
        storage.completeRun(key, runId);
    }

    private static String text(String runId, int salt, int approxLength) {
        Random random = new Random(runId.hashCode() * 31L + salt);
        int length = approxLength - approxLength / 4 + random.nextInt(approxLength / 2 + 1);
        StringBuilder sb = new StringBuilder(length + 2);
        while (sb.length() < length) {
            sb.appendCodePoint(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return sb.toString();
    }

    private static Instant instant(String runId, int salt) {
        Random random = new Random(runId.hashCode() * 17L + salt);
        return Instant.ofEpochSecond(1_700_000_000L + random.nextInt(100_000_000), random.nextInt(1_000_000_000));
    }

    // ---- child processes ----

    /** A child JVM running {@code mainClass} with the test classpath; stdout is read line by line. */
    static final class Child implements AutoCloseable {
        final Process process;
        final Path stderr;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final Thread reader;

        private Child(Process process, Path stderr) {
            this.process = process;
            this.stderr = stderr;
            this.reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the stream ends when the child dies
                }
            }, "child-stdout-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(Class<?> mainClass, Path stderr, String... args) throws IOException {
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElseThrow());
            command.add("-Xmx256m");
            command.add("-XX:+UseSerialGC");
            command.add("-XX:TieredStopAtLevel=1");
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(mainClass.getName());
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectError(stderr.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE).start();
            return new Child(p, stderr);
        }

        /** Waits until a line matching {@code test} arrives; false when the child ended or time ran out first. */
        boolean awaitLine(Predicate<String> test, long timeoutMillis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (System.nanoTime() < deadline) {
                if (lines.stream().anyMatch(test)) {
                    return true;
                }
                if (!process.isAlive() && !reader.isAlive()) {
                    return lines.stream().anyMatch(test);
                }
                Thread.sleep(5);
            }
            return false;
        }

        /** Waits for the child to end and for its stdout to be read to the end. */
        boolean awaitExit(long timeoutMillis) throws InterruptedException {
            if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                return false;
            }
            reader.join(10_000);
            return !reader.isAlive();
        }

        /** Every complete line the child printed so far. */
        List<String> lines() {
            return List.copyOf(lines);
        }

        /** Run ids the child acknowledged, in order. */
        List<String> acked() {
            return lines.stream().filter(l -> l.startsWith(ACK)).map(l -> l.substring(ACK.length()))
                    .collect(Collectors.toList());
        }

        /** For assertion messages: stdout tail and the whole stderr. */
        String describe() {
            List<String> all = lines();
            String tail = String.join("\n", all.subList(Math.max(0, all.size() - 5), all.size()));
            String err;
            try {
                err = Files.exists(stderr) ? Files.readString(stderr) : "(none)";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return "child pid " + process.pid() + (process.isAlive() ? " (alive)" : " exit " + process.exitValue())
                    + "\n--- last stdout lines ---\n" + tail + "\n--- stderr ---\n"
                    + (err.length() > 20_000 ? err.substring(err.length() - 20_000) : err);
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    // ---- checks ----

    /**
     * Checks every session of a reopened store: its runs are the acknowledged runs of that session in order, each
     * complete and byte-exact, with no duplicates and contiguous sequences; the only other runs allowed are
     * {@code inFlight} ones (a run that was being written when the process stopped), at most once each and with a
     * prefix of their messages.
     *
     * @return the number of in-flight runs found in the store
     */
    static int assertStoreHolds(MapDbStorage storage, Map<SessionKey, List<String>> acked, Set<String> inFlight,
            String context) {
        int inFlightFound = 0;
        for (SessionKey key : SESSIONS) {
            List<String> expected = acked.getOrDefault(key, List.of());
            List<Run> runs = storage.runs(key).collect(Collectors.toList());
            List<String> ids = runs.stream().map(Run::runId).collect(Collectors.toList());
            assertThat(ids).as("%s: run ids of %s", context, key).doesNotHaveDuplicates();
            for (int i = 0; i < runs.size(); i++) {
                assertThat(runs.get(i).sequence()).as("%s: sequence of run %s", context, ids.get(i)).isEqualTo(i);
                assertThat(runs.get(i).session()).isEqualTo(key);
            }
            Set<String> expectedSet = new HashSet<>(expected);
            List<String> ackedStored = ids.stream().filter(expectedSet::contains).collect(Collectors.toList());
            assertThat(ackedStored).as("%s: acknowledged runs of %s, in order", context, key)
                    .containsExactlyElementsOf(expected);
            for (Run run : runs) {
                if (expectedSet.contains(run.runId())) {
                    assertThat(run.completed()).as("%s: acknowledged run %s completed", context, run.runId()).isTrue();
                    assertThat(run.finishedAt()).isPresent();
                    assertThat(run.messages()).as("%s: messages of acknowledged run %s", context, run.runId())
                            .containsExactlyElementsOf(expectedMessages(run.runId()));
                } else {
                    assertThat(inFlight).as("%s: run %s in %s was never acknowledged and is not the run that was "
                            + "in flight", context, run.runId(), key).contains(run.runId());
                    inFlightFound++;
                    List<Message> full = expectedMessages(run.runId());
                    assertThat(run.messages().size()).as("%s: in-flight run %s", context, run.runId())
                            .isBetween(1, full.size());
                    assertThat(run.messages()).as("%s: messages of in-flight run %s", context, run.runId())
                            .containsExactlyElementsOf(full.subList(0, run.messages().size()));
                    if (run.completed()) {
                        assertThat(run.messages()).hasSize(full.size());
                    }
                }
            }
            if (!expected.isEmpty()) {
                String last = ids.get(ids.size() - 1);
                assertThat(storage.lastRuns(key, 1)).extracting(Run::runId).as("%s: last run of %s", context, key)
                        .containsExactly(last);
            }
            assertThat(storage.session(key)).as("%s: session %s", context, key).isPresent();
        }
        return inFlightFound;
    }

    /** Groups acknowledged run ids by the session their index put them in. */
    static Map<SessionKey, List<String>> bySession(List<String> runIds) {
        Map<SessionKey, List<String>> out = new LinkedHashMap<>();
        for (String id : runIds) {
            out.computeIfAbsent(sessionFor(indexOf(id)), k -> new ArrayList<>()).add(id);
        }
        return out;
    }

    /** The index {@code i} of a run id {@code <prefix>-<i>}. */
    static int indexOf(String runId) {
        return Integer.parseInt(runId.substring(runId.lastIndexOf('-') + 1));
    }

    /** The last checkpoint marker of the journal: "begin", "end", or "none". */
    static String lastCheckpointMarker(Path file) {
        String[] last = {"none"};
        Journal.scan(StoreFiles.of(file).journal(), (lsn, offset, record) -> {
            if (record instanceof JournalRecord.CheckpointBegin) {
                last[0] = "begin";
            } else if (record instanceof JournalRecord.CheckpointEnd) {
                last[0] = "end";
            }
        });
        return last[0];
    }
}
