package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.SessionKey;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
    @TempDir
    Path dir;

    @Test
    void writesAndReopens() {
        Path file = dir.resolve("s.db");
        SessionKey key = SessionKey.of("u", "s");
        try (MapDbStorage s = MapDbStorage.builder().file(file).checkpointEvery(5).build()) {
            s.getOrCreateSession(key, "a");
            for (int r = 0; r < 10; r++) {
                s.appendMessage(key, "r" + r, Message.user("q" + r));
                s.appendMessage(key, "r" + r, Message.assistant("a" + r));
                s.completeRun(key, "r" + r);
            }
            assertThat(s.lastRuns(key, 3)).extracting(r -> r.runId()).containsExactly("r7", "r8", "r9");
        }
        try (MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(s.lastRuns(key, 2)).extracting(r -> r.messages().get(1).content()).containsExactly("a8", "a9");
            assertThat(s.runs(key).count()).isEqualTo(10);
            s.deleteSession(key);
            s.compact();
            assertThat(s.session(key)).isEmpty();
        }
        try (MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(s.session(key)).isEmpty();
        }
    }
}
