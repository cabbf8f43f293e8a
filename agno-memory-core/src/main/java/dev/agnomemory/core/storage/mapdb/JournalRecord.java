package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
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

    record RunCompleted(SessionKey key, long runSequence, Instant at) implements JournalRecord {
    }

    record SummarySaved(SessionKey key, SessionSummary summary, Instant at) implements JournalRecord {
    }

    record SessionDeleted(SessionKey key) implements JournalRecord {
        @Override
        public boolean removesContent() {
            return true;
        }
    }

    record MemorySaved(UserMemory memory) implements JournalRecord {
    }

    record EmbeddingSaved(MemoryEmbedding embedding) implements JournalRecord {
    }

    record MemoryDeleted(String userId, String memoryId) implements JournalRecord {
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
