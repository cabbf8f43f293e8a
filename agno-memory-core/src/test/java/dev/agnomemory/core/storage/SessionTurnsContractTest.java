package dev.agnomemory.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.testing.Eventually;
import dev.agnomemory.core.testing.ManualScheduler;
import dev.agnomemory.core.testing.TickingClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The implementation-neutral rules of {@link SessionTurns} (see its Javadoc): an implementation that passes this
 * suite keeps them. Published in this module's test jar next to {@link MemoryStorageContractTest}: extend it, open a
 * fresh, empty storage with the given turn settings in {@link #openStorage}, and make its lease clock move on in
 * {@link #passTime}. Renewals run only when a test runs {@link #renewals}, so every expiry here is deterministic and
 * no test sleeps.
 */
public abstract class SessionTurnsContractTest {

    /** The lease of the storage under test; only {@link #passTime} makes it run out. */
    protected static final Duration LEASE = Duration.ofSeconds(10);
    /** How often a waiter asks again by itself: short, so waiting for a lease to run out costs milliseconds. */
    protected static final Duration POLL = Duration.ofMillis(20);
    /** A wait that never ends in a passing test. */
    protected static final Duration LONG = Duration.ofSeconds(60);

    protected static final SessionKey S1 = SessionKey.of("alice", "s1");
    protected static final SessionKey S2 = SessionKey.of("alice", "s2");
    protected static final SessionKey BOB_S1 = SessionKey.of("bob", "s1");

    /** The storage's clock (session times, and the lease clock of an in-process storage). */
    protected final TickingClock clock = new TickingClock();
    /** Where the storage schedules its renewals; they run only when a test calls {@link ManualScheduler#runDue()}. */
    protected final ManualScheduler renewals = new ManualScheduler();
    protected MemoryStorage storage;
    private ExecutorService threads;

    /**
     * Opens a fresh, empty storage whose turns have the given lease and poll interval and renew on
     * {@code scheduler}.
     *
     * @param clock the clock of the storage
     * @param scheduler where the storage must schedule its turn renewals
     * @param lease the turn lease
     * @param pollInterval how often a waiter asks again by itself
     * @return the storage
     */
    protected abstract MemoryStorage openStorage(TickingClock clock, ScheduledExecutorService scheduler,
            Duration lease, Duration pollInterval);

    /**
     * Makes the clock by which the storage's leases run out read {@code by} later, as if that much time had passed
     * without renewals.
     *
     * @param by how much
     */
    protected abstract void passTime(Duration by);

    @BeforeEach
    void openTheStorage() {
        storage = openStorage(clock, renewals, LEASE, POLL);
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void closeTheStorage() {
        threads.shutdownNow();
        if (storage != null) {
            storage.close();
        }
    }

    protected final SessionTurns turns() {
        return storage.turns();
    }

    /** Takes the turn on another thread, as another caller would. */
    protected final Future<SessionTurn> acquireElsewhere(SessionKey key, Duration maxWait) {
        return threads.submit(() -> turns().acquire(key, maxWait));
    }

    protected final <T> T get(Future<T> future) throws Exception {
        try {
            return future.get(LONG.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    protected final void awaitWaiting(SessionKey key, int n) {
        Eventually.await(n + " waiting for the turn of " + key, () -> turns().waiting(key) == n);
    }

    private static void addRun(MemoryStorage writes, SessionKey key, String runId, String q, String a) {
        writes.appendMessage(key, runId, Message.user(q));
        writes.appendMessage(key, runId, Message.assistant(a));
        writes.completeRun(key, runId);
    }

    // ---- one holder ----

    @Test
    void aTurnIsHeldUntilClosedAndThenTakenAtOnce() throws Exception {
        SessionTurn first = turns().acquire(S1, Duration.ZERO);
        assertThat(first.key()).isEqualTo(S1);
        assertThat(first.epoch()).isPositive();
        assertThat(first.held()).isTrue();
        assertThat(first.storage()).isSameAs(first.storage());
        assertThatThrownBy(() -> get(acquireElsewhere(S1, Duration.ZERO))).isInstanceOf(TurnTimeoutException.class);

        first.close();
        first.close();
        assertThat(first.held()).isFalse();
        SessionTurn second = get(acquireElsewhere(S1, Duration.ZERO));
        assertThat(second.epoch()).isGreaterThan(first.epoch());
        second.close();
        try (SessionTurn third = turns().acquire(S1, Duration.ZERO)) {
            assertThat(third.epoch()).isGreaterThan(second.epoch());
        }
    }

    @Test
    void onlyOneCallerHoldsATurnAndItsRunsNeverInterleave() throws Exception {
        int callers = 4;
        int calls = 10;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            int caller = t;
            done.add(threads.submit(() -> {
                for (int i = 0; i < calls; i++) {
                    try (SessionTurn turn = turns().acquire(S1, LONG)) {
                        if (inside.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        MemoryStorage writes = turn.storage();
                        writes.getOrCreateSession(S1, "agent");
                        addRun(writes, S1, caller + "-" + i, caller + "/" + i + " q", caller + "/" + i + " a");
                        inside.decrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            get(f);
        }
        assertThat(overlaps).hasValue(0);
        List<Run> runs = storage.runs(S1).toList();
        assertThat(runs).hasSize(callers * calls);
        for (Run run : runs) {
            String prefix = run.runId().replace('-', '/');
            assertThat(run.messages()).extracting(Message::content).containsExactly(prefix + " q", prefix + " a");
            assertThat(run.status()).isEqualTo(dev.agnomemory.core.RunStatus.COMPLETED);
        }
    }

    @Test
    void aTurnOfOneSessionNeverBlocksAnother() throws Exception {
        try (SessionTurn s1 = turns().acquire(S1, Duration.ZERO)) {
            SessionTurn s2 = get(acquireElsewhere(S2, Duration.ZERO));
            SessionTurn bob = get(acquireElsewhere(BOB_S1, Duration.ZERO));
            assertThat(List.of(s2.epoch(), bob.epoch())).allSatisfy(e -> assertThat(e).isGreaterThan(s1.epoch()));
            s2.storage().getOrCreateSession(S2, null);
            bob.storage().getOrCreateSession(BOB_S1, null);
            s2.close();
            bob.close();
            assertThat(s1.held()).isTrue();
        }
    }

    @Test
    void aTurnCanBeTakenBeforeItsSessionExistsAndOutlivesItsDeletion() throws Exception {
        try (SessionTurn turn = turns().acquire(S1, Duration.ZERO)) {
            MemoryStorage writes = turn.storage();
            assertThat(storage.session(S1)).isEmpty();
            Session created = writes.getOrCreateSession(S1, "agent-x");
            assertThat(created.agentId()).hasValue("agent-x");
            addRun(writes, S1, "r1", "q", "a");
            assertThat(writes.deleteSession(S1)).isTrue();
            writes.getOrCreateSession(S1, "agent-y");
            addRun(writes, S1, "r2", "q2", "a2");
            assertThat(storage.runs(S1).toList()).extracting(Run::runId).containsExactly("r2");
        }
    }

    @Test
    void aTurnClosedOnAnotherThreadIsReleased() throws Exception {
        SessionTurn turn = turns().acquire(S1, Duration.ZERO);
        threads.submit(turn::close).get(LONG.toSeconds(), TimeUnit.SECONDS); // a stream ends on another thread
        try (SessionTurn next = turns().acquire(S1, Duration.ZERO)) {
            assertThat(next.epoch()).isGreaterThan(turn.epoch());
        }
    }

    @Test
    void aTurnIsNotReentrant() throws Exception {
        try (SessionTurn turn = turns().acquire(S1, Duration.ZERO)) {
            assertThatThrownBy(() -> turns().acquire(S1, Duration.ZERO)).isInstanceOf(TurnTimeoutException.class);
            assertThat(turn.held()).isTrue();
        }
    }

    // ---- first come, first served ----

    @Test
    void waitersAreServedInTheOrderTheyCame() throws Exception {
        SessionTurn holder = turns().acquire(S1, Duration.ZERO);
        ConcurrentLinkedQueue<Integer> served = new ConcurrentLinkedQueue<>();
        List<Future<?>> waiters = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int waiter = i;
            waiters.add(threads.submit(() -> {
                try (SessionTurn turn = turns().acquire(S1, LONG)) {
                    served.add(turn.held() ? waiter : -1);
                }
                return null;
            }));
            awaitWaiting(S1, i + 1);
        }
        holder.close();
        for (Future<?> f : waiters) {
            get(f);
        }
        assertThat(served).containsExactly(0, 1, 2, 3, 4);
        assertThat(turns().waiting(S1)).isZero();
    }

    @Test
    void aCallerThatKeepsTakingTheTurnDoesNotStarveAWaiter() throws Exception {
        AtomicInteger taken = new AtomicInteger();
        AtomicInteger sawWaiterAt = new AtomicInteger(-1);
        AtomicBoolean waiterServed = new AtomicBoolean();
        Future<?> greedy = threads.submit(() -> {
            while (!waiterServed.get()) {
                try (SessionTurn turn = turns().acquire(S1, LONG)) {
                    assertThat(turn.held()).isTrue();
                    int n = taken.incrementAndGet();
                    if (turns().waiting(S1) > 0) {
                        sawWaiterAt.compareAndSet(-1, n);
                    }
                }
            }
            return null;
        });
        Eventually.await("the greedy caller took the turn a few times", () -> taken.get() >= 3);
        int servedAt;
        try (SessionTurn turn = turns().acquire(S1, LONG)) {
            assertThat(turn.held()).isTrue();
            servedAt = taken.get(); // the greedy caller waits now, so this is stable
            waiterServed.set(true);
        }
        get(greedy);
        if (sawWaiterAt.get() != -1) {
            assertThat(servedAt).as("the greedy caller released once after it saw the waiter, then the waiter went")
                    .isEqualTo(sawWaiterAt.get());
        }
    }

    // ---- bounded waiting ----

    @Test
    void aTimeoutNamesTheSessionHowLongItWaitedAndTheHolder() throws Exception {
        AtomicReference<String> holderThread = new AtomicReference<>();
        SessionTurn holder = threads.submit(() -> {
            holderThread.set(Thread.currentThread().getName());
            return turns().acquire(S1, Duration.ZERO);
        }).get();
        assertThatThrownBy(() -> turns().acquire(S1, Duration.ZERO)).isInstanceOfSatisfying(
                TurnTimeoutException.class, e -> {
                    assertThat(e.key()).isEqualTo(S1);
                    assertThat(e.getMessage()).contains("session s1 of user alice").contains("Waited");
                    assertThat(e.holder()).hasValueSatisfying(h -> assertThat(h).contains(holderThread.get()));
                });
        Duration wait = Duration.ofMillis(60);
        assertThatThrownBy(() -> turns().acquire(S1, wait)).isInstanceOfSatisfying(TurnTimeoutException.class,
                e -> assertThat(e.waited()).isGreaterThanOrEqualTo(wait));
        assertThat(turns().waiting(S1)).isZero();
        assertThat(holder.held()).isTrue();
        holder.close();
        turns().acquire(S1, Duration.ZERO).close();
    }

    @Test
    void aTimedOutOrInterruptedWaiterLeavesTheLineAndTheNextOneMovesUp() throws Exception {
        SessionTurn holder = turns().acquire(S1, Duration.ZERO);
        AtomicReference<Thread> firstThread = new AtomicReference<>();
        Future<SessionTurn> first = threads.submit(() -> {
            firstThread.set(Thread.currentThread());
            return turns().acquire(S1, LONG);
        });
        awaitWaiting(S1, 1);
        Future<SessionTurn> second = acquireElsewhere(S1, LONG);
        awaitWaiting(S1, 2);
        firstThread.get().interrupt();
        assertThatThrownBy(() -> get(first)).isInstanceOf(InterruptedException.class);
        awaitWaiting(S1, 1);
        holder.close();
        SessionTurn next = get(second);
        assertThat(next.epoch()).isGreaterThan(holder.epoch());
        next.close();
        assertThat(turns().waiting(S1)).isZero();
    }

    @Test
    void badArgumentsAreRejectedNamingTheParameter() {
        assertThatThrownBy(() -> turns().acquire(null, LONG)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key");
        assertThatThrownBy(() -> turns().acquire(S1, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxWait");
        assertThatThrownBy(() -> turns().acquire(S1, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWait");
        assertThat(turns().waiting(S1)).isZero();
    }

    // ---- lease ----

    @Test
    void aLeaseThatIsNotRenewedRunsOutAndTheNextCallerGoesOn() throws Exception {
        SessionTurn crashed = turns().acquire(S1, Duration.ZERO); // its renewals never run: as if its process died
        crashed.storage().getOrCreateSession(S1, null);
        Future<SessionTurn> next = acquireElsewhere(S1, LONG);
        awaitWaiting(S1, 1);
        passTime(LEASE.plusSeconds(1));
        SessionTurn taken = get(next);
        assertThat(taken.epoch()).isGreaterThan(crashed.epoch());
        addRun(taken.storage(), S1, "r1", "q", "a");

        crashed.close(); // a late close leaves the new holder's turn alone
        assertThatThrownBy(() -> get(acquireElsewhere(S1, Duration.ZERO))).isInstanceOf(TurnTimeoutException.class);
        assertThat(taken.held()).isTrue();
        taken.close();
    }

    @Test
    void renewalsKeepATurnPastItsLease() throws Exception {
        SessionTurn turn = turns().acquire(S1, Duration.ZERO);
        Duration twoThirds = LEASE.multipliedBy(2).dividedBy(3);
        for (int i = 0; i < 3; i++) {
            passTime(twoThirds);
            assertThat(renewals.runDue()).isPositive();
        }
        passTime(twoThirds);
        assertThatThrownBy(() -> get(acquireElsewhere(S1, Duration.ZERO))).isInstanceOf(TurnTimeoutException.class);
        turn.storage().getOrCreateSession(S1, null);
        assertThat(turn.held()).isTrue();

        passTime(LEASE); // no renewal this time
        SessionTurn next = get(acquireElsewhere(S1, Duration.ZERO));
        next.close();
        turn.close();
    }

    @Test
    void aLeaseThatRanOutWhileNobodyWantedTheTurnIsStillCurrent() throws Exception {
        SessionTurn turn = turns().acquire(S1, Duration.ZERO);
        passTime(LEASE.plusSeconds(1));
        turn.storage().getOrCreateSession(S1, null); // nobody took it: still the current epoch
        renewals.runDue();
        assertThat(turn.held()).isTrue();
        assertThatThrownBy(() -> get(acquireElsewhere(S1, Duration.ZERO))).isInstanceOf(TurnTimeoutException.class);
        turn.close();
    }

    @Test
    void aRenewalThatFindsTheTurnTakenMarksItLost() throws Exception {
        SessionTurn zombie = turns().acquire(S1, Duration.ZERO);
        passTime(LEASE.plusSeconds(1));
        SessionTurn taken = get(acquireElsewhere(S1, Duration.ZERO));
        assertThat(zombie.held()).as("no one told it yet").isTrue();
        renewals.runDue();
        assertThat(zombie.held()).isFalse();
        assertThatThrownBy(() -> zombie.storage().getOrCreateSession(S1, null))
                .isInstanceOf(StaleTurnException.class);
        assertThat(taken.held()).isTrue();
        taken.storage().getOrCreateSession(S1, null);
        taken.close();
        zombie.close();
    }

    // ---- fencing ----

    @Test
    void everyWriteOfAZombieIsRejectedAndStoresNothing() throws Exception {
        try (SessionTurn setup = turns().acquire(S1, Duration.ZERO)) {
            setup.storage().getOrCreateSession(S1, "agent");
            addRun(setup.storage(), S1, "r1", "q", "a");
            setup.storage().appendMessage(S1, "r2", Message.user("open run"));
        }
        Map<String, Consumer<MemoryStorage>> writes = new LinkedHashMap<>();
        writes.put("getOrCreateSession", w -> w.getOrCreateSession(S1, "agent"));
        writes.put("updateSessionData", w -> w.updateSessionData(S1, d -> {
            Map<String, String> next = new HashMap<>(d);
            next.put("k", "zombie");
            return next;
        }));
        writes.put("updateSessionState", w -> w.updateSessionState(S1, s -> "{\"zombie\":true}"));
        writes.put("renameSession", w -> w.renameSession(S1, "zombie"));
        writes.put("appendMessage", w -> w.appendMessage(S1, "r2", Message.assistant("zombie answer")));
        writes.put("appendMessages", w -> w.appendMessages(S1, "r3", List.of(Message.user("zombie run"))));
        writes.put("finishRun", w -> w.finishRun(S1, "r2", RunOutcome.completed()));
        writes.put("saveSummary", w -> w.saveSummary(S1, new SessionSummary("zombie", List.of(), 0,
                Instant.parse("2026-01-01T00:00:00Z"))));
        writes.put("deleteSession", w -> w.deleteSession(S1));
        Session before = storage.session(S1).orElseThrow();
        List<Run> runsBefore = storage.runs(S1).toList();
        for (Map.Entry<String, Consumer<MemoryStorage>> write : writes.entrySet()) {
            SessionTurn zombie = turns().acquire(S1, Duration.ZERO);
            passTime(LEASE.plusSeconds(1));
            SessionTurn taken = get(acquireElsewhere(S1, Duration.ZERO)); // the zombie does not know yet
            assertThat(zombie.held()).isTrue();
            assertThatThrownBy(() -> write.getValue().accept(zombie.storage())).as(write.getKey())
                    .isInstanceOfSatisfying(StaleTurnException.class, e -> {
                        assertThat(e.key()).isEqualTo(S1);
                        assertThat(e.epoch()).isEqualTo(zombie.epoch());
                        assertThat(e.getMessage()).contains("session s1 of user alice").contains("not stored");
                    });
            assertThat(zombie.held()).as(write.getKey()).isFalse();
            assertThat(storage.session(S1)).as(write.getKey()).hasValue(before);
            assertThat(storage.runs(S1).toList()).as(write.getKey()).isEqualTo(runsBefore);
            taken.close();
            zombie.close();
        }
    }

    @Test
    void theHoldersSessionUpdatesAreStored() throws Exception {
        // what an AI-service call does through its turn: data, state and name that change
        try (SessionTurn turn = turns().acquire(S1, Duration.ZERO)) {
            MemoryStorage writes = turn.storage();
            writes.getOrCreateSession(S1, "agent");
            assertThat(writes.updateSessionData(S1, d -> Map.of("k", "v"))).hasValueSatisfying(
                    s -> assertThat(s.data()).containsEntry("k", "v"));
            assertThat(writes.updateSessionState(S1, st -> "{\"n\":1}")).isPresent();
            writes.renameSession(S1, "trip");
            addRun(writes, S1, "r1", "q", "a");
        }
        Session stored = storage.session(S1).orElseThrow();
        assertThat(stored.data()).containsEntry("k", "v");
        assertThat(stored.state()).isEqualTo("{\"n\":1}");
        assertThat(stored.name()).hasValue("trip");
        assertThat(storage.lastRuns(S1, 1)).singleElement().extracting(Run::status).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void writesThroughAReleasedTurnAreRejected() throws Exception {
        SessionTurn turn = turns().acquire(S1, Duration.ZERO);
        turn.storage().getOrCreateSession(S1, null);
        turn.close();
        long version = storage.sessionVersion(S1).orElseThrow();
        assertThatThrownBy(() -> turn.storage().appendMessage(S1, "r1", Message.user("late")))
                .isInstanceOf(StaleTurnException.class).hasMessageContaining("released");
        assertThat(storage.sessionVersion(S1)).hasValue(version);
        assertThat(storage.lastRuns(S1, 1)).isEmpty();
    }

    @Test
    void theViewWritesOnlyToItsSessionAndPassesReadsAndMemoriesThrough() throws Exception {
        storage.getOrCreateSession(S2, null);
        try (SessionTurn turn = turns().acquire(S1, Duration.ZERO)) {
            MemoryStorage view = turn.storage();
            assertThatThrownBy(() -> view.appendMessage(S2, "r1", Message.user("wrong session")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("session s2 of user alice");
            assertThat(storage.lastRuns(S2, 1)).isEmpty();
            assertThat(view.session(S2)).isPresent();
            assertThat(view.turns()).isSameAs(turns());
            UserMemory memory = UserMemory.create("alice", "Alice likes tea", null, null);
            view.saveMemory(memory);
            assertThat(storage.memory("alice", memory.memoryId())).hasValue(memory);
        }
    }

    @Test
    void closingTheViewClosesTheTurnNotTheStorage() throws Exception {
        SessionTurn turn = turns().acquire(S1, Duration.ZERO);
        turn.storage().close();
        assertThat(turn.held()).isFalse();
        storage.getOrCreateSession(S1, null);
        turns().acquire(S1, Duration.ZERO).close();
    }

    // ---- closing ----

    @Test
    void closingTheStorageReleasesItsTurnsAndEndsWaits() throws Exception {
        SessionTurn turn = turns().acquire(S1, Duration.ZERO);
        Future<SessionTurn> waiter = acquireElsewhere(S1, LONG);
        awaitWaiting(S1, 1);
        storage.close();
        assertThatThrownBy(() -> get(waiter)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(turn.held()).isFalse();
        assertThatThrownBy(() -> storage.turns()).isInstanceOf(IllegalStateException.class);
        storage = null;
    }
}
