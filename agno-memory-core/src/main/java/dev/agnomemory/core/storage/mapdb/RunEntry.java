package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.RunOutcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A run as the store keeps it: its header and where its messages are.
 *
 * @param state the run's header
 * @param messages its messages, in order
 */
record RunEntry(RunState state, List<MessageRef> messages) {

    RunEntry {
        messages = List.copyOf(messages);
    }

    static RunEntry started(String runId, Instant at) {
        return new RunEntry(RunState.started(runId, at), List.of());
    }

    RunEntry plus(List<MessageRef> more) {
        List<MessageRef> all = new ArrayList<>(messages.size() + more.size());
        all.addAll(messages);
        all.addAll(more);
        return new RunEntry(state, all);
    }

    RunEntry finished(RunOutcome outcome, Instant at) {
        return new RunEntry(state.finished(outcome, at), messages);
    }
}
