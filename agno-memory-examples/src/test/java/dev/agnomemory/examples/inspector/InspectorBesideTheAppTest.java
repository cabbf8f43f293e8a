package dev.agnomemory.examples.inspector;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app writes its store in one process while the inspector reads it in another: {@code sessions}, {@code show}
 * and {@code export} work (read-only), show a consistent store holding at least what the app had acknowledged, and
 * the app goes on undisturbed.
 */
class InspectorBesideTheAppTest {

    private static final SessionKey KEY = SessionKey.of("alice", "live");

    @TempDir
    Path dir;

    /** The app: {@code <store> <stopFile>} appends runs until the stop file appears; prints {@code ACK <n>}. */
    public static final class App {
        public static void main(String[] args) throws Exception {
            Path store = Path.of(args[0]);
            Path stop = Path.of(args[1]);
            PrintStream out = System.out;
            try (MapDbStorage storage = MapDbStorage.builder().file(store).checkpointEvery(50).build()) {
                storage.getOrCreateSession(KEY, "assistant");
                for (int i = 0; !Files.exists(stop) && i < 50_000; i++) {
                    storage.appendMessage(KEY, "run-" + i, Message.user("question " + i));
                    storage.appendMessage(KEY, "run-" + i, Message.assistant("answer " + i));
                    storage.completeRun(KEY, "run-" + i);
                    out.println("ACK " + i);
                    out.flush();
                }
            }
            System.exit(0);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theInspectorReadsWhileTheAppWrites() throws Exception {
        Path store = dir.resolve("agent.db");
        Path stop = dir.resolve("stop");
        Path appOut = dir.resolve("app.out");
        Process app = start(appOut, App.class.getName(), store.toString(), stop.toString());
        try {
            for (int round = 1; round <= 2; round++) {
                int acked = awaitAcks(appOut, 20 * round);
                Path json = dir.resolve("export-" + round + ".json");
                Result export = inspector("export-" + round, store.toString(), "export", "alice", "live", "--out",
                        json.toString());
                assertThat(export.code()).as(export.err()).isZero();
                JsonNode session = new ObjectMapper().readTree(json.toFile());
                JsonNode runs = session.get("runs");
                assertThat(runs.size()).as("runs exported in round %d", round).isGreaterThanOrEqualTo(acked);
                for (int i = 0; i < runs.size(); i++) {
                    JsonNode run = runs.get(i);
                    assertThat(run.get("run_id").asText()).isEqualTo("run-" + i);
                    assertThat(run.get("messages").get(0).get("content").asText()).isEqualTo("question " + i);
                }
                Result sessions = inspector("sessions-" + round, store.toString(), "sessions");
                assertThat(sessions.code()).as(sessions.err()).isZero();
                assertThat(sessions.out()).contains("alice").contains("live").contains("1 session");
                Result show = inspector("show-" + round, store.toString(), "show", "alice", "live");
                assertThat(show.code()).as(show.err()).isZero();
                assertThat(show.out()).contains("question 0").contains("answer " + (acked - 1));
            }
            Files.createFile(stop);
            assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(app.exitValue()).isZero();
        } finally {
            app.destroyForcibly();
            app.waitFor(10, TimeUnit.SECONDS);
        }
        int total = acks(appOut).size();
        try (MapDbStorage storage = MapDbStorage.open(store)) {
            assertThat(storage.runs(KEY).count()).as("every run the app acknowledged").isEqualTo(total);
        }
    }

    private record Result(int code, String out, String err) {
    }

    /** Runs the inspector in a child JVM of its own. */
    private Result inspector(String name, String... args) throws IOException, InterruptedException {
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), Inspector.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("inspector ended").isTrue();
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private static Process start(Path out, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(out.resolveSibling(out.getFileName() + ".err").toFile()).start();
    }

    /** Waits until the app acknowledged {@code n} runs; returns how many it had. */
    private static int awaitAcks(Path out, int n) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            int acked = acks(out).size();
            if (acked >= n) {
                return acked;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the app acknowledged only " + acks(out).size() + " runs");
    }

    private static List<String> acks(Path out) throws IOException {
        if (!Files.exists(out)) {
            return List.of();
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        lines.remove(lines.size() - 1);
        return lines.stream().filter(l -> l.startsWith("ACK ")).toList();
    }
}
