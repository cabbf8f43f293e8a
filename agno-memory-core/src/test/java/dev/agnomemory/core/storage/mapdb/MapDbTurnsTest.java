package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.SessionTurn;
import dev.agnomemory.core.storage.TurnTimeoutException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What MapDB's in-process turns add to the turn contract: their state is bounded by the sessions in use. */
class MapDbTurnsTest {

    @Test
    void turnStateIsKeptOnlyForSessionsWhoseTurnIsHeldOrWaitedFor() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (MapDbStorage storage = MapDbStorage.inMemory()) {
            for (int i = 0; i < 2_000; i++) {
                SessionKey key = SessionKey.of("user-" + (i % 10), "session-" + i);
                try (SessionTurn turn = storage.turns().acquire(key, Duration.ZERO)) {
                    turn.storage().getOrCreateSession(key, null);
                    turn.storage().appendMessage(key, "r1", Message.user("hi"));
                }
            }
            assertThat(storage.sessionsWithTurnState()).isZero();

            SessionKey busy = SessionKey.of("alice", "busy");
            SessionTurn held = storage.turns().acquire(busy, Duration.ZERO);
            assertThat(storage.sessionsWithTurnState()).as("its line and its lease").isEqualTo(2);
            assertThatThrownBy(() -> other.submit(() -> storage.turns().acquire(busy, Duration.ofMillis(20)))
                    .get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(TurnTimeoutException.class);
            held.close();
            assertThat(storage.sessionsWithTurnState()).isZero();
        } finally {
            other.shutdownNow();
        }
    }
}
