package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.BTreeMap;
import org.mapdb.CC;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.DataOutput2;
import org.mapdb.Serializer;
import org.mapdb.StoreWAL;
import org.mapdb.serializer.SerializerArrayTuple;

/** {@link WrittenNodes} answers reads with what MapDB holds, through commits, rollbacks and a reopen. */
class WrittenNodesTest {

    @TempDir
    Path dir;

    private static StoreWAL store(Path file) {
        return StoreWAL.make(file.toString(), BufferedRandomAccessFileVol.FACTORY, 0L, true,
                CC.STORE_DIRECT_CONC_SHIFT, CC.PAGE_SIZE, 0L, false, false, false, true, false);
    }

    private static BTreeMap<Object[], byte[]> map(DB db) {
        return db.treeMap("runIds", new SerializerArrayTuple(Serializer.LONG, Serializer.STRING), Serializer.BYTE_ARRAY)
                .createOrOpen();
    }

    @Test
    void readsAnswerWhatMapDbHoldsThroughPutsRemovalsCommitsAndRollbacks() throws IOException {
        Path file = dir.resolve("index.db");
        StoreWAL store = store(file);
        WrittenNodes nodes = new WrittenNodes(store);
        DB db = new DB(nodes, false, true, getClass().getClassLoader(), 0);
        BTreeMap<Object[], byte[]> map = map(db);
        // a rollback before the map's creation was committed would take the map with it
        db.commit();
        TreeMap<String, byte[]> committed = new TreeMap<>();
        TreeMap<String, byte[]> current = new TreeMap<>();
        Random random = new Random(11);
        int compared = 0;
        int pendingSeen = 0;
        for (int step = 0; step < 30_000; step++) {
            long session = random.nextInt(4);
            // runs mostly added at the end of a session (the checkpoint's pattern), some anywhere, some removed
            String run = random.nextInt(4) == 0 ? "r" + random.nextInt(step + 1) : String.format("r%09d", step);
            String key = session + "/" + run;
            if (random.nextInt(10) == 0) {
                map.remove(new Object[] {session, run});
                current.remove(key);
            } else {
                byte[] value = new byte[1 + random.nextInt(40)];
                random.nextBytes(value);
                map.put(new Object[] {session, run}, value);
                current.put(key, value);
            }
            if (step % 2_500 == 2_499) {
                assertThat(asStrings(map)).isEqualTo(asStrings(current));
                compared += compareHeldWithStore(nodes, store);
                pendingSeen += countPending(nodes);
                if (random.nextInt(4) == 0) {
                    db.rollback();
                    current = new TreeMap<>(committed);
                } else {
                    db.commit();
                    committed = new TreeMap<>(current);
                    assertThat(countHeld(nodes)).as("held after a commit").isZero();
                    // what the map reads now comes from MapDB alone
                    DB direct = new DB(store, true, true, getClass().getClassLoader(), 0);
                    assertThat(asStrings(map(direct))).isEqualTo(asStrings(current));
                }
                assertThat(asStrings(map)).isEqualTo(asStrings(current));
            }
        }
        assertThat(compared).as("records written to MapDB compared while held").isGreaterThan(100);
        assertThat(pendingSeen).as("records held and not yet written, seen before the commits").isGreaterThan(1_000);
        db.commit();
        db.close();

        DB again = new DB(store(file), true, true, getClass().getClassLoader(), 0);
        try {
            assertThat(asStrings(map(again))).isEqualTo(asStrings(current));
        } finally {
            again.close();
        }
    }

    @Test
    void eachWriteIsReadBackAsWrittenAndADeletedRecordIsGone() {
        StoreWAL store = store(dir.resolve("records.db"));
        WrittenNodes nodes = new WrittenNodes(store);
        try {
            long recid = nodes.put("a", Serializer.STRING);
            assertThat(nodes.get(recid, Serializer.STRING)).isEqualTo("a");
            nodes.update(recid, "b", Serializer.STRING);
            assertThat(nodes.get(recid, Serializer.STRING)).isEqualTo("b");
            assertThat(nodes.compareAndSwap(recid, "b", "c", Serializer.STRING)).isTrue();
            assertThat(nodes.get(recid, Serializer.STRING)).isEqualTo("c");
            assertThat(nodes.compareAndSwap(recid, "b", "d", Serializer.STRING)).isFalse();
            assertThat(nodes.get(recid, Serializer.STRING)).isEqualTo("c");
            // another serializer is not answered from what was written with this one
            assertThat(nodes.get(recid, Serializer.STRING_ASCII)).isEqualTo(store.get(recid, Serializer.STRING_ASCII));
            nodes.commit();
            assertThat(nodes.get(recid, Serializer.STRING)).isEqualTo("c");
            nodes.update(recid, "e", Serializer.STRING);
            nodes.rollback();
            assertThat(nodes.get(recid, Serializer.STRING)).isEqualTo("c");
            nodes.delete(recid, Serializer.STRING);
            assertThatThrownBy(() -> nodes.get(recid, Serializer.STRING)).isInstanceOf(DBException.class);
        } finally {
            nodes.close();
        }
    }

    private static int countHeld(WrittenNodes nodes) {
        int[] n = {0};
        nodes.forEachHeld((recid, record, serializer, pending) -> n[0]++);
        return n[0];
    }

    private static int countPending(WrittenNodes nodes) {
        int[] n = {0};
        nodes.forEachHeld((recid, record, serializer, pending) -> n[0] += pending ? 1 : 0);
        return n[0];
    }

    /** Every record held that has reached MapDB compares byte for byte with MapDB's own copy. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int compareHeldWithStore(WrittenNodes nodes, StoreWAL store) {
        List<Object[]> held = new ArrayList<>();
        nodes.forEachHeld((recid, record, serializer, pending) -> {
            if (!pending) {
                held.add(new Object[] {recid, record, serializer});
            }
        });
        for (Object[] h : held) {
            long recid = (Long) h[0];
            Serializer s = (Serializer) h[2];
            assertThat(bytes(s, h[1])).as("record %d", recid).isEqualTo(bytes(s, store.get(recid, s)));
        }
        return held.size();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static byte[] bytes(Serializer s, Object record) {
        DataOutput2 out = new DataOutput2();
        try {
            s.serialize(out, record);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.copyBytes();
    }

    private static Map<String, String> asStrings(Map<?, byte[]> map) {
        TreeMap<String, String> out = new TreeMap<>();
        map.forEach((k, v) -> out.put(k instanceof Object[] a ? a[0] + "/" + a[1] : k.toString(), Arrays.toString(v)));
        return out;
    }
}
