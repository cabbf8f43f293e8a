package dev.agnomemory.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The no-key demo runs end to end and shows each thing it promises, in what the model was sent. */
class DemoTest {

    @TempDir
    Path dir;

    @Test
    void showsToolCallsRestartMemoriesSummaryAndTheInspectorsView() {
        Path store = dir.resolve("demo.db");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            new Demo(out, store).run();
        }
        String output = bytes.toString(StandardCharsets.UTF_8);
        String beforeRestart = output.substring(0, output.indexOf("== Restart"));
        String afterRestart = output.substring(output.indexOf("== Restart"), output.indexOf("== user bob"));
        String bob = output.substring(output.indexOf("== user bob"), output.indexOf("== The inspector's view"));
        String inspector = output.substring(output.indexOf("== The inspector's view"));

        // a tool call, its result sent back to the model, and the answer from it
        assertThat(beforeRestart).contains("(tools offered: get_weather)", "<-- calls get_weather {\"city\":\"Lisbon\"}",
                "[tool result] get_weather -> sunny, 24°C", "=> answer: The weather there: sunny, 24°C.");
        // memories extracted after a run, then injected into the next request's system message
        assertThat(beforeRestart).contains("(the memory model, after the run)",
                "\"memory\": \"The user's name is Alice.\"", "<memories_from_previous_interactions>",
                "- The user lives in Lisbon.");
        // the summary joins the system message once the history outgrows the window of two runs
        assertThat(beforeRestart.indexOf("<summary_of_previous_interactions>"))
                .isGreaterThan(beforeRestart.indexOf("== user alice, session trip-planning: \"Can you suggest"));
        // after the restart, the session continues from the file: its last runs and her memories in the prompt
        assertThat(afterRestart).contains("[user] I love hiking, by the way.",
                "[user] Can you suggest a walk for Saturday?", "- The user loves hiking.",
                "=> answer: I remember: The user's name is Alice. The user lives in Lisbon. The user loves hiking.");
        // another user sees nothing of Alice's
        assertThat(bob).doesNotContain("Alice", "Lisbon", "hiking")
                .contains("=> answer: I don't know anything about you yet.");
        // the inspector's view of the same store
        assertThat(inspector).contains("$ inspector demo.db sessions", "2 sessions",
                "$ inspector demo.db show alice trip-planning", "runs       5", "calls get_weather",
                "$ inspector demo.db memories alice", "The user loves hiking.", "3 memories",
                "$ inspector demo.db memories bob", "The user's name is Bob.", "1 memory");

        try (MapDbStorage storage = MapDbStorage.open(store)) {
            List<Run> runs = storage.runs(SessionKey.of("alice", "trip-planning")).toList();
            assertThat(runs).hasSize(5).allSatisfy(run -> assertThat(run.completed()).isTrue());
            assertThat(runs.get(1).metrics().toolCalls()).isEqualTo(1);
            assertThat(storage.memories("alice")).hasSize(3);
            assertThat(storage.summary(SessionKey.of("alice", "trip-planning"))).isPresent();
        }
    }
}
