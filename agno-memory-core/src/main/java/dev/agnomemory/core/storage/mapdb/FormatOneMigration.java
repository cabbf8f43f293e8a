package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.StoreFormatException;
import dev.agnomemory.core.storage.mapdb.BinaryIn.MalformedDataException;
import dev.agnomemory.core.storage.mapdb.JournalRecord.Counters;
import dev.agnomemory.core.storage.mapdb.JournalRecord.EmbeddingSaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoriesVersionRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryHistoryRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemorySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MessagesAppended;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunFinished;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunStarted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionCreated;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDataSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionRenamed;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionStateSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SummarySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.UserMemoriesDeleted;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;
import org.mapdb.volume.VolumeFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The place for journal migrations: a journal of format 1 ({@code <file>.journal}, one file, record types keyed by
 * session key, versions derived when applied) becomes a snapshot segment of format 2 holding the same records, each
 * with the version format 1 would have given it, and an empty log segment after it. Every record type format 1 ever
 * wrote is read, including the older codes (5, 8, 9, 11, 12) of builds before run outcomes and memory histories.
 *
 * <p>Rules:
 * <ul>
 *   <li>The format-1 journal is checked first as format 1 did (damage followed by intact frames is refused; a
 *       damaged last frame is a torn write when it is no larger than one write could leave). When the old index
 *       knows records the journal does not hold (the journal was truncated or replaced), the migration is refused
 *       and nothing changes.</li>
 *   <li>The new segment is written beside the old journal, forced to disk and renamed into place (the commit
 *       point); its header records the old journal's size and header checksum. Then the old journal and the old
 *       index are deleted (the index is rebuilt in the new format). An open that finds both a format-1 journal and a
 *       segment migrated from it finishes the deletion; any other mix is refused.</li>
 *   <li>A read-only open converts the records in memory and changes nothing.</li>
 * </ul>
 */
final class FormatOneMigration {

    private static final Logger log = LoggerFactory.getLogger(FormatOneMigration.class);
    private static final SecureRandom SALTS = new SecureRandom();
    private static final int HEADER_SIZE = 32;
    private static final int FRAME_HEADER = 16;
    private static final Role[] ROLES = Role.values();

    private FormatOneMigration() {
    }

    /** What a scan of a format-1 journal found. */
    private record Scanned(long generation, long lastLsn, long size, int headerCrc) {
    }

    /** Migrates the store's format-1 journal (the caller holds the store's lock). */
    static void migrate(StoreFiles files, VolumeFactory volumes) {
        Path journal = files.legacyJournal();
        Converter converter = new Converter();
        List<JournalRecord> converted = new ArrayList<>();
        Scanned scanned = scan(journal, r -> converter.convert(r, converted::add));
        checkOldIndex(files, scanned);
        converted.add(new Counters(converter.nextSid, converter.nextVersion));
        long count = converted.size();
        StoreId id = StoreId.random();
        SegmentHeader header = new SegmentHeader(SegmentHeader.Kind.SNAPSHOT, id, scanned.generation(), 1, count,
                SALTS.nextInt(), scanned.size(), scanned.headerCrc());
        try (SnapshotWriter snapshot = new SnapshotWriter(files.segment(1), header)) {
            for (JournalRecord r : converted) {
                snapshot.add(r);
            }
            snapshot.finish();
            snapshot.commit();
        }
        Segment.create(files.segment(2), new SegmentHeader(SegmentHeader.Kind.LOG, id, scanned.generation(), 2,
                count + 1, SALTS.nextInt(), 0, 0), 256 * 1024);
        deleteOld(files);
        log.info("Store {}: migrated journal format 1 ({} records, {} bytes) to format 2 ({}, store id {}); the index "
                + "is rebuilt in the new format", files.index(), scanned.lastLsn(), scanned.size(),
                files.segment(1).getFileName(), id);
    }

    /**
     * Both a format-1 journal and segments exist: a migration that stopped after its commit point (finish it), or
     * files that do not belong together (refuse).
     */
    static void finishInterrupted(StoreFiles files, List<Long> numbers) {
        Path journal = files.legacyJournal();
        Segment first = Segment.open(files.segment(numbers.get(0)), numbers.get(0));
        SegmentHeader h;
        try {
            h = first.header();
        } finally {
            first.close();
        }
        int headerCrc;
        long size;
        try (RandomAccessFile raf = new RandomAccessFile(journal.toFile(), "r")) {
            byte[] header = new byte[HEADER_SIZE];
            size = raf.length();
            raf.readFully(header);
            headerCrc = ByteBuffer.wrap(header).getInt(HEADER_SIZE - 4);
        } catch (IOException e) {
            throw new StoreFormatException(journal, "both this format-1 journal and journal segments ("
                    + files.segment(numbers.get(0)).getFileName() + ") exist, and this one cannot be read ("
                    + IoFailures.reason(e) + "); move one of them away. Nothing was changed.", e);
        }
        if (!h.isSnapshot() || h.originSize() != size || h.originHeaderCrc() != headerCrc) {
            throw new StoreFormatException(journal, "both this format-1 journal and journal segments ("
                    + files.segment(numbers.get(0)).getFileName() + ") exist, and the segments were not migrated "
                    + "from this journal; move one of them away. Nothing was changed.");
        }
        log.info("Store {}: finishing the migration of {} to format 2 that stopped after its commit point",
                files.index(), journal.getFileName());
        deleteOld(files);
    }

    private static void deleteOld(StoreFiles files) {
        try {
            Files.deleteIfExists(files.legacyJournal());
            StoreFiles.deleteMapDbFiles(files.index());
            StoreFiles.syncDirectory(files.index());
        } catch (IOException e) {
            throw IoFailures.storage("Cannot delete the migrated format-1 files of", files.index(), e);
        }
    }

    /** A read-only open of a format-1 store: its records, converted, in memory; nothing is written. */
    static StoreOpener.Opened readInMemory(StoreFiles files, long runCacheBytes) {
        Overlay store = new Overlay(true);
        RecordTarget target = store;
        Converter converter = new Converter();
        Scanned scanned = scan(files.legacyJournal(), r -> converter.convert(r, c -> c.apply(target, null)));
        StateView view = new StateView(store, null, null, store.maxSid() + 1, store.maxVersion() + 1, runCacheBytes);
        return new StoreOpener.Opened(view, null, scanned.lastLsn() + 1, false);
    }

    /** Refuses when the format-1 index has applied more records than the journal holds. */
    private static void checkOldIndex(StoreFiles files, Scanned scanned) {
        if (!Files.exists(files.index()) || !StoreFiles.looksLikeMapDb(files.index())) {
            return;
        }
        long applied;
        long generation;
        try {
            DB db = DBMaker.fileDB(files.index().toFile()).readOnly().fileLockDisable().make();
            try {
                Map<String, Long> meta = db.treeMap("meta", Serializer.STRING, Serializer.LONG).open();
                applied = meta.getOrDefault("appliedLsn", -1L);
                generation = meta.getOrDefault("generation", -1L);
            } finally {
                db.close();
            }
        } catch (RuntimeException e) {
            log.info("Store {}: the format-1 index cannot be read ({}); migrating the journal as it is",
                    files.index(), e.toString());
            return;
        }
        if (generation == scanned.generation() && applied > scanned.lastLsn()) {
            throw new StoreFormatException(files.legacyJournal(), "the index has applied the journal up to record "
                    + applied + ", but the journal ends at record " + scanned.lastLsn() + ". The journal was "
                    + "truncated or replaced by an older copy; refusing to migrate or open it rather than lose what "
                    + "the index knows. Nothing was changed.");
        }
    }

    // ---- reading format 1 ----

    /** A record of format 1, as its bytes decode. */
    private record V1(int code, BinaryIn in) {
    }

    private static Scanned scan(Path path, Consumer<V1> visitor) {
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "r")) {
            long size = raf.length();
            byte[] all = new byte[(int) Math.min(size, Integer.MAX_VALUE - 8)];
            if (size > all.length) {
                throw new StoreFormatException(path, "format-1 journal too large to migrate (" + size + " bytes)");
            }
            raf.readFully(all);
            if (all.length < HEADER_SIZE) {
                throw new StoreFormatException(path, "not an agno-memory journal (file too short for a header)");
            }
            ByteBuffer h = ByteBuffer.wrap(all);
            for (int i = 0; i < SegmentHeader.MAGIC.length; i++) {
                if (all[i] != SegmentHeader.MAGIC[i]) {
                    throw new StoreFormatException(path, "not an agno-memory journal (unknown header)");
                }
            }
            CRC32C crc = new CRC32C();
            crc.update(all, 0, HEADER_SIZE - 4);
            if ((int) crc.getValue() != h.getInt(HEADER_SIZE - 4)) {
                throw new StoreFormatException(path, "journal header is damaged (checksum mismatch)");
            }
            int version = h.getInt(8);
            if (version != 1) {
                throw new StoreFormatException(path, version > SegmentHeader.FORMAT_VERSION
                        ? "journal format version " + version + " was written by a newer agno-memory; this version "
                                + "reads up to " + SegmentHeader.FORMAT_VERSION + ". Upgrade agno-memory to open it."
                        : "journal format version " + version + " is not valid in " + path.getFileName());
            }
            long generation = h.getLong(12);
            int offset = HEADER_SIZE;
            long lsn = 0;
            while (offset < all.length) {
                String damage = frameDamage(all, offset, lsn + 1);
                if (damage != null) {
                    classifyDamage(path, all, offset, lsn + 1, damage);
                    break;
                }
                int length = h.getInt(offset);
                byte[] payload = java.util.Arrays.copyOfRange(all, offset + FRAME_HEADER, offset + FRAME_HEADER
                        + length);
                lsn++;
                try {
                    BinaryIn in = new BinaryIn(payload);
                    visitor.accept(new V1(in.readByte(), in));
                    in.expectEnd();
                } catch (MalformedDataException | IllegalArgumentException e) {
                    throw new StoreFormatException(path, "record " + lsn + " at offset " + offset + " has a valid "
                            + "checksum but cannot be decoded (" + e.getMessage() + ")", e);
                }
                offset += FRAME_HEADER + length;
            }
            return new Scanned(generation, lsn, size, h.getInt(HEADER_SIZE - 4));
        } catch (IOException e) {
            throw IoFailures.storage("Cannot read journal", path, e);
        }
    }

    private static String frameDamage(byte[] all, int offset, long expectedLsn) {
        if (all.length - offset < FRAME_HEADER) {
            return "incomplete frame header";
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        int length = b.getInt(offset);
        if (length < 1 || length > all.length - offset - FRAME_HEADER) {
            return "bad frame length " + length;
        }
        CRC32C crc = new CRC32C();
        crc.update(all, offset, 4);
        crc.update(all, offset + 8, 8 + length);
        if ((int) crc.getValue() != b.getInt(offset + 4)) {
            return "checksum mismatch";
        }
        long lsn = b.getLong(offset + 8);
        return lsn == expectedLsn ? null : "record number " + lsn + " where " + expectedLsn + " was expected";
    }

    /** Format 1's rule, with the plausibility bound of format 2: a torn last write, or refused. */
    private static void classifyDamage(Path path, byte[] all, int offset, long expectedLsn, String damage) {
        for (int p = offset + 1; p + FRAME_HEADER <= all.length; p++) {
            long lsn = ByteBuffer.wrap(all).getLong(p + 8);
            if (lsn >= expectedLsn && frameDamage(all, p, lsn) == null) {
                throw new StoreFormatException(path, "journal is corrupt at offset " + offset + " (record "
                        + expectedLsn + ": " + damage + ") and intact records follow; refusing to open. Restore the "
                        + "file from a backup. Nothing was changed.");
            }
        }
        int declared = all.length - offset >= 4 ? ByteBuffer.wrap(all).getInt(offset) : 0;
        long extent = all.length - offset;
        if (extent > Math.max(SegmentScanner.MAX_GROUP, (long) declared + FRAME_HEADER)) {
            throw new StoreFormatException(path, "journal is unreadable from offset " + offset + " (record "
                    + expectedLsn + ": " + damage + ") to its end (" + extent + " bytes): more than a write cut off "
                    + "by a crash could have left; refusing to open. Nothing was changed.");
        }
        log.warn("Journal {}: ignoring {} bytes at offset {}, the last write, which is damaged: most likely cut off by "
                + "a crash before it was acknowledged", path, extent, offset);
    }

    // ---- format 1's values ----

    private static SessionKey key(BinaryIn in) {
        return new SessionKey(in.readRequiredString(), in.readRequiredString());
    }

    private static Message message(BinaryIn in) {
        String id = in.readRequiredString();
        Role role = Values.enumAt(ROLES, in.readByte(), "role");
        String content = in.readRequiredString();
        int calls = in.readCount();
        List<ToolCall> toolCalls = new ArrayList<>(calls);
        for (int i = 0; i < calls; i++) {
            toolCalls.add(new ToolCall(in.readString(), in.readRequiredString(), in.readRequiredString()));
        }
        return new Message(id, role, content, toolCalls, in.readString(), in.readString(), in.readBoolean(),
                in.readInstant(), in.readString());
    }

    private static List<Message> messages(BinaryIn in) {
        int n = in.readCount();
        List<Message> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(message(in));
        }
        return out;
    }

    private static SessionSummary summary(BinaryIn in) {
        return new SessionSummary(in.readRequiredString(), in.readStrings(), in.readLong(), in.readInstant());
    }

    private static UserMemory memory(BinaryIn in, boolean withAgent) {
        String memoryId = in.readRequiredString();
        String userId = in.readRequiredString();
        String text = in.readRequiredString();
        List<String> topics = in.readStrings();
        String input = in.readString();
        Instant created = in.readInstant();
        Instant updated = in.readInstant();
        Optional<String> agent = withAgent ? Optional.ofNullable(in.readString()) : Optional.empty();
        return new UserMemory(memoryId, userId, text, topics, input, created, updated, agent);
    }

    private static MemoryChange change(BinaryIn in) {
        String userId = in.readRequiredString();
        String memoryId = in.readRequiredString();
        MemoryChange.Kind kind = Values.enumAt(MemoryChange.Kind.values(), in.readByte(), "memory change kind");
        Optional<String> previous = Optional.ofNullable(in.readString());
        List<String> previousTopics = in.readStrings();
        Optional<String> next = Optional.ofNullable(in.readString());
        List<String> nextTopics = in.readStrings();
        Instant at = in.readInstant();
        MemoryChangeCause.Source source = Values.enumAt(MemoryChangeCause.Source.values(), in.readByte(),
                "memory change source");
        MemoryChangeCause cause = new MemoryChangeCause(source, Optional.ofNullable(in.readString()),
                Optional.ofNullable(in.readString()));
        return new MemoryChange(userId, memoryId, kind, previous, previousTopics, next, nextTopics, at, cause);
    }

    private static MemoryChange optionalChange(BinaryIn in) {
        return in.readBoolean() ? change(in) : null;
    }

    private static RunMetrics metrics(BinaryIn in) {
        return new RunMetrics(Optional.ofNullable(in.readString()), in.readLong(), in.readLong(), in.readLong(),
                in.readInt(), in.readInt(), Optional.ofNullable(in.readString()));
    }

    private static RunOutcome outcome(BinaryIn in) {
        return new RunOutcome(Values.enumAt(RunStatus.values(), in.readByte(), "run status"),
                Optional.ofNullable(in.readString()), metrics(in));
    }

    private static MemoryEmbedding embedding(BinaryIn in) {
        String userId = in.readRequiredString();
        String memoryId = in.readRequiredString();
        String model = in.readRequiredString();
        String text = in.readRequiredString();
        int n = in.readInt();
        if (n <= 0 || n > (1 << 20)) {
            throw new MalformedDataException("bad vector length " + n);
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Float.intBitsToFloat(in.readInt());
        }
        return new MemoryEmbedding(userId, memoryId, model, text, v);
    }

    private static RunState runState(BinaryIn in, boolean v1) {
        String runId = in.readRequiredString();
        Instant startedAt = in.readInstant();
        Instant finishedAt = in.readOptionalInstant();
        if (v1) {
            // finished meant completed, before run outcomes existed
            return new RunState(runId, startedAt, finishedAt, finishedAt == null ? RunStatus.RUNNING
                    : RunStatus.COMPLETED, null, RunMetrics.NONE);
        }
        return new RunState(runId, startedAt, finishedAt, Values.enumAt(RunStatus.values(), in.readByte(),
                "run status"), in.readString(), metrics(in));
    }

    /** A session as format 1's compaction wrote it: the newer layout (code 21) or the first one (code 11). */
    private record StateV1(long sid, String agentId, String name, Instant createdAt, Instant updatedAt, long version,
            Map<String, String> data, String state, SessionSummary summary, RunMetrics metrics, long runCount,
            String currentRunId, boolean currentRunFinished, int currentRunMessages) {
    }

    private static StateV1 sessionState(BinaryIn in, boolean first) {
        long sid = in.readLong();
        String agentId = in.readString();
        if (first) {
            Instant createdAt = in.readInstant();
            Instant updatedAt = in.readInstant();
            Map<String, String> data = in.readStringMap();
            SessionSummary summary = in.readBoolean() ? summary(in) : null;
            return new StateV1(sid, agentId, null, createdAt, updatedAt, 0, data, Session.EMPTY_STATE, summary,
                    RunMetrics.NONE, in.readLong(), in.readString(), in.readBoolean(), in.readInt());
        }
        String name = in.readString();
        Instant createdAt = in.readInstant();
        Instant updatedAt = in.readInstant();
        long version = in.readLong();
        Map<String, String> data = in.readStringMap();
        String state = in.readRequiredString();
        SessionSummary summary = in.readBoolean() ? summary(in) : null;
        RunMetrics metrics = metrics(in);
        return new StateV1(sid, agentId, name, createdAt, updatedAt, version, data, state, summary, metrics,
                in.readLong(), in.readString(), in.readBoolean(), in.readInt());
    }

    /**
     * Turns format-1 records into format-2 records, handing out versions and session numbers exactly as format 1's
     * index did when it applied them.
     */
    private static final class Converter {
        long nextSid = 1;
        long nextVersion = 1;
        private final Map<SessionKey, Long> sids = new HashMap<>();

        private long take() {
            return nextVersion++;
        }

        private void advanceSid(long sid) {
            nextSid = Math.max(nextSid, sid + 1);
        }

        private void advanceVersion(long version) {
            nextVersion = Math.max(nextVersion, version + 1);
        }

        private long sid(SessionKey key) {
            Long sid = sids.get(key);
            if (sid == null) {
                throw new MalformedDataException("record refers to unknown session " + key);
            }
            return sid;
        }

        void convert(V1 r, Consumer<JournalRecord> out) {
            BinaryIn in = r.in();
            switch (r.code()) {
                case 1 -> {
                    SessionKey key = key(in);
                    long sid = in.readLong();
                    String agent = in.readString();
                    Instant at = in.readInstant();
                    sids.put(key, sid);
                    advanceSid(sid);
                    out.accept(new SessionCreated(key, sid, agent, at, take()));
                }
                case 2 -> {
                    long sid = sid(key(in));
                    out.accept(new SessionDataSet(sid, in.readStringMap(), in.readInstant(), take()));
                }
                case 3 -> {
                    long sid = sid(key(in));
                    long seq = in.readLong();
                    out.accept(new RunStarted(sid, seq, in.readRequiredString(), in.readInstant(), take()));
                }
                case 4 -> {
                    long sid = sid(key(in));
                    long seq = in.readLong();
                    int index = in.readInt();
                    Message m = message(in);
                    out.accept(new MessagesAppended(sid, seq, index, List.of(m), in.readInstant(), take()));
                }
                case 5 -> {
                    long sid = sid(key(in));
                    long seq = in.readLong();
                    out.accept(new RunFinished(sid, seq, RunOutcome.completed(), in.readInstant(), take()));
                }
                case 16 -> {
                    long sid = sid(key(in));
                    long seq = in.readLong();
                    out.accept(new RunFinished(sid, seq, outcome(in), in.readInstant(), take()));
                }
                case 6 -> {
                    long sid = sid(key(in));
                    out.accept(new SummarySaved(sid, summary(in), in.readInstant(), take()));
                }
                case 17 -> {
                    long sid = sid(key(in));
                    out.accept(new SessionStateSet(sid, in.readRequiredString(), in.readInstant(), take()));
                }
                case 18 -> {
                    long sid = sid(key(in));
                    out.accept(new SessionRenamed(sid, in.readString(), in.readInstant(), take()));
                }
                case 7 -> {
                    SessionKey key = key(in);
                    Long sid = sids.remove(key);
                    if (sid != null) {
                        out.accept(new SessionDeleted(key, sid));
                    }
                }
                case 8 -> out.accept(new MemorySaved(memory(in, false), null, take()));
                case 19 -> out.accept(new MemorySaved(memory(in, true), optionalChange(in), take()));
                case 15 -> out.accept(new EmbeddingSaved(embedding(in)));
                case 9 -> out.accept(new MemoryDeleted(in.readRequiredString(), in.readRequiredString(), null, take()));
                case 20 -> out.accept(new MemoryDeleted(in.readRequiredString(), in.readRequiredString(),
                        optionalChange(in), take()));
                case 10 -> out.accept(new UserMemoriesDeleted(in.readRequiredString(), take()));
                case 11, 21 -> {
                    SessionKey key = key(in);
                    StateV1 s = sessionState(in, r.code() == 11);
                    long version;
                    if (s.version() == 0) {
                        version = take();
                    } else {
                        version = s.version();
                        advanceVersion(version);
                    }
                    sids.put(key, s.sid());
                    advanceSid(s.sid());
                    SessionHead head = new SessionHead(key, s.sid(), s.agentId(), s.name(), s.createdAt(),
                            s.updatedAt(), version, s.metrics(), s.runCount(), s.currentRunId(),
                            s.currentRunFinished(), s.currentRunMessages(), 0);
                    out.accept(new SessionRestored(head, new SessionDetails(s.data(), s.state(), s.summary())));
                }
                case 12, 22 -> {
                    long sid = sid(key(in));
                    long seq = in.readLong();
                    RunState run = runState(in, r.code() == 12);
                    out.accept(new RunRestored(sid, seq, run, messages(in)));
                }
                case 23 -> out.accept(new MemoryRestored(memory(in, true)));
                case 24 -> {
                    long seq = in.readLong();
                    MemoryChange c = change(in);
                    advanceVersion(seq);
                    out.accept(new MemoryHistoryRestored(seq, c));
                }
                case 25 -> {
                    long sid = in.readLong();
                    long version = in.readLong();
                    advanceSid(sid - 1);
                    advanceVersion(version - 1);
                    out.accept(new Counters(sid, version));
                }
                case 26 -> {
                    String user = in.readRequiredString();
                    long version = in.readLong();
                    advanceVersion(version);
                    out.accept(new MemoriesVersionRestored(user, version));
                }
                case 13, 14 -> {
                    in.readLong();
                }
                default -> throw new MalformedDataException("unknown format-1 record type " + r.code());
            }
        }
    }
}
