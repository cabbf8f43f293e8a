package dev.agnomemory.core.storage.mapdb;

/**
 * Where a journal record's bytes are: the index keeps these instead of a second copy of every message.
 *
 * @param segment the journal segment's number
 * @param offset where the record's bytes start in the segment file
 * @param length how many bytes the record takes
 * @param crc the CRC32C of those bytes, checked on every read so a damaged journal is never read as text
 */
record Pointer(long segment, long offset, int length, int crc) implements RecordRef {

    @Override
    public Pointer pointer() {
        return this;
    }
}
