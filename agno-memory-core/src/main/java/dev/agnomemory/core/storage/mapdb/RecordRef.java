package dev.agnomemory.core.storage.mapdb;

/**
 * A journal record's place: known at once for records read from the journal, and once the log writer has written
 * the frame for records of a write in flight (see {@link Frame}).
 */
interface RecordRef {

    /** @return where the record is; only called once its frame is written */
    Pointer pointer();

    /** @return how many bytes the record takes */
    int length();

    /** @return the number of the segment the record is in, or -1 while its frame is not written yet */
    long segment();
}
