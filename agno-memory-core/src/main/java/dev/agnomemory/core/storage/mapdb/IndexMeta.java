package dev.agnomemory.core.storage.mapdb;

/**
 * What the index knows about itself: whose it is, and which state of the journal it holds.
 *
 * @param format the index format ({@link Index#FORMAT_VERSION})
 * @param storeId the store it belongs to; it must match the journal's
 * @param generation the journal generation it was built from
 * @param coveredLsn the index holds every record up to this number
 * @param beginSegment the segment of the {@link JournalRecord.CheckpointBegin} frame written before the commit that
 *     made this state: the open starts reading the journal there
 * @param beginOffset that frame's offset
 * @param beginCrc that frame's CRC, to check it is the same frame
 * @param nextSid the next session number to hand out
 * @param nextVersion the next version to hand out
 * @param purgePending whether content deleted before this state may still be in the journal or the index
 */
record IndexMeta(long format, StoreId storeId, long generation, long coveredLsn, long beginSegment,
        long beginOffset, int beginCrc, long nextSid, long nextVersion, boolean purgePending) {

    void write(BinaryOut out) {
        out.writeVarLong(format);
        out.writeLong(storeId.high());
        out.writeLong(storeId.low());
        out.writeVarLong(generation);
        out.writeVarLong(coveredLsn);
        out.writeVarLong(beginSegment);
        out.writeVarLong(beginOffset);
        out.writeInt(beginCrc);
        out.writeVarLong(nextSid);
        out.writeVarLong(nextVersion);
        out.writeBoolean(purgePending);
    }

    static IndexMeta read(BinaryIn in) {
        return new IndexMeta(in.readVarLong(), new StoreId(in.readLong(), in.readLong()), in.readVarLong(),
                in.readVarLong(), in.readVarLong(), in.readVarLong(), in.readInt(), in.readVarLong(), in.readVarLong(),
                in.readBoolean());
    }
}
