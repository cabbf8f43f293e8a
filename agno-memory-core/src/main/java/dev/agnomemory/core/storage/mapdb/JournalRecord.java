package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One entry of the journal. Records carry every derived value (internal session number, run sequence, message
 * index, times) so that replaying them rebuilds the index exactly, without consulting a clock or a counter.
 */
sealed interface JournalRecord {

    /** Whether this record removes content, so the files must be rewritten to purge it. */
    default boolean removesContent() {
        return false;
    }

    record SessionCreated(SessionKey key, long sid, String agentId, Instant at) implements JournalRecord {
    }

    record SessionDataSet(SessionKey key, Map<String, String> data, Instant at) implements JournalRecord {
    }

    record RunStarted(SessionKey key, long runSequence, String runId, Instant at) implements JournalRecord {
    }

    record MessageAppended(SessionKey key, long runSequence, int index, Message message, Instant at)
            implements JournalRecord {
    }

    /** The current run finished; journals of format 1 before run outcomes existed hold it as a completion. */
    record RunFinished(SessionKey key, long runSequence, RunOutcome outcome, Instant at) implements JournalRecord {
    }

    record SessionStateSet(SessionKey key, String state, Instant at) implements JournalRecord {
    }

    /** @param name null when the name is removed */
    record SessionRenamed(SessionKey key, String name, Instant at) implements JournalRecord {
    }

    record SummarySaved(SessionKey key, SessionSummary summary, Instant at) implements JournalRecord {
    }

    record SessionDeleted(SessionKey key) implements JournalRecord {
        @Override
        public boolean removesContent() {
            return true;
        }
    }

    /** @param change the history entry; null in records written before memories had a history */
    record MemorySaved(UserMemory memory, MemoryChange change) implements JournalRecord {
    }

    record EmbeddingSaved(MemoryEmbedding embedding) implements JournalRecord {
    }

    /** @param change the history entry; null in records written before memories had a history */
    record MemoryDeleted(String userId, String memoryId, MemoryChange change) implements JournalRecord {
        @Override
        public boolean removesContent() {
            return true;
        }
    }

    record UserMemoriesDeleted(String userId) implements JournalRecord {
        @Override
        public boolean removesContent() {
            return true;
        }
    }

    /** A whole session written by compaction. */
    record SessionRestored(SessionKey key, SessionState state) implements JournalRecord {
    }

    /** A whole run written by compaction. */
    record RunRestored(SessionKey key, long runSequence, RunState run, List<Message> messages)
            implements JournalRecord {
    }

    /** A memory written by compaction: stored without a new history entry or version. */
    record MemoryRestored(UserMemory memory) implements JournalRecord {
    }

    /** The version of a user's memories, written by compaction, also for users whose memories are all gone. */
    record MemoriesVersionRestored(String userId, long version) implements JournalRecord {
    }

    /** One history entry of a memory, written by compaction with the number that orders it. */
    record MemoryHistoryRestored(long sequence, MemoryChange change) implements JournalRecord {
    }

    /**
     * The store's counters, written first by compaction, so numbers handed out before it (session numbers,
     * versions) are never handed out again, even when the session that had the highest one was deleted.
     */
    record CountersRestored(long nextSid, long nextVersion) implements JournalRecord {
    }

    /**
     * Written and forced to disk before the index commits the state up to {@code coveredLsn}: if no matching
     * {@link CheckpointEnd} follows, the commit may have been cut off halfway and the index is not trusted.
     */
    record CheckpointBegin(long coveredLsn) implements JournalRecord {
    }

    /** The index committed the state up to {@code coveredLsn} completely. */
    record CheckpointEnd(long coveredLsn) implements JournalRecord {
    }
}
