package dev.agnomemory.langchain4j;

import dev.agnomemory.core.UserMemory;
import java.util.List;

/**
 * What one run of the {@link MemoryManager} changed.
 *
 * @param added new memories
 * @param updated memories whose text or topics changed (their new state)
 * @param deleted memories that were removed (their last state)
 * @param rejected why operations the model asked for were not applied (unknown ids, empty text); informational
 */
public record MemoryUpdate(List<UserMemory> added, List<UserMemory> updated, List<UserMemory> deleted,
        List<String> rejected) {

    /** Copies the lists. */
    public MemoryUpdate {
        added = List.copyOf(added);
        updated = List.copyOf(updated);
        deleted = List.copyOf(deleted);
        rejected = List.copyOf(rejected);
    }

    /** @return whether nothing changed */
    public boolean isEmpty() {
        return added.isEmpty() && updated.isEmpty() && deleted.isEmpty();
    }
}
