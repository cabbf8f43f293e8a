package dev.agnomemory.core.storage.mapdb;

import java.util.ArrayList;
import java.util.List;
import org.mapdb.volume.Volume;
import org.mapdb.volume.VolumeFactory;

/**
 * A volume factory that remembers the volumes it made, so they can be closed when MapDB fails half way through
 * opening a file: {@code StoreWAL.make} keeps no reference the caller could close, and on a full disk a leaked
 * volume would keep the file (and its space) held.
 */
final class ClosingVolumes extends VolumeFactory {

    private final VolumeFactory delegate;
    private final List<Volume> made = new ArrayList<>();

    ClosingVolumes(VolumeFactory delegate) {
        this.delegate = delegate;
    }

    @Override
    public Volume makeVolume(String file, boolean readOnly, long fileLockWait, int sliceShift, long initSize,
            boolean fixedSize) {
        Volume v = delegate.makeVolume(file, readOnly, fileLockWait, sliceShift, initSize, fixedSize);
        synchronized (made) {
            made.add(v);
        }
        return v;
    }

    @Override
    public boolean exists(String file) {
        return delegate.exists(file);
    }

    @Override
    public boolean handlesReadonly() {
        return delegate.handlesReadonly();
    }

    /** Closes every volume made so far, adding what fails to {@code failure}. */
    void closeAll(Throwable failure) {
        synchronized (made) {
            for (Volume v : made) {
                try {
                    v.close();
                } catch (RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
            made.clear();
        }
    }
}
