package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The run id filter never says "certainly not" of a key it was given, and rarely "maybe" of one it was not. */
class RunIdFilterTest {

    private static String runId(Random r, int i) {
        return switch (i % 4) {
            case 0 -> java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) i, (byte) (i >> 8), (byte) (i >> 16)})
                    .toString();
            case 1 -> "run-" + i;
            case 2 -> "läuft-🙂-" + Integer.toHexString(r.nextInt()) + "-𝕏";
            default -> String.valueOf((char) ('a' + i % 26)).repeat(1 + i % 5) + i;
        };
    }

    @Test
    void everyKeyAddedIsFoundAndFewOthersAre() {
        int keys = 50_000;
        RunIdFilter f = RunIdFilter.forKeys(keys / 2);
        Random r = new Random(7);
        String[] ids = new String[keys];
        for (int i = 0; i < keys; i++) {
            ids[i] = runId(r, i);
            f.add(i % 97, ids[i]);
        }
        assertThat(f.full()).as("sized for twice half the keys: exactly full, not over").isFalse();
        for (int i = 0; i < keys; i++) {
            assertThat(f.mightContain(i % 97, ids[i])).as("key %d", i).isTrue();
        }
        int falsePositives = 0;
        int probes = 100_000;
        for (int i = 0; i < probes; i++) {
            // the same ids in other sessions, and ids never added
            if (f.mightContain(100 + i % 97, ids[i % keys]) || f.mightContain(i % 97, "new-" + i)) {
                falsePositives++;
            }
        }
        assertThat((double) falsePositives / probes).as("false positives (two probes each)").isLessThan(0.04);
        f.add(1, "one more");
        assertThat(f.full()).isTrue();
    }

    @Test
    void aFilterOverfilledStillFindsEveryKey() {
        RunIdFilter f = RunIdFilter.forKeys(10);
        for (int i = 0; i < 100_000; i++) {
            f.add(i, "r" + i);
        }
        assertThat(f.full()).isTrue();
        for (int i = 0; i < 100_000; i++) {
            assertThat(f.mightContain(i, "r" + i)).isTrue();
        }
    }

    @Test
    void theHashTellsSessionsAndIdsApart() {
        assertThat(RunIdFilter.hash(1, "ab")).isNotEqualTo(RunIdFilter.hash(2, "ab"))
                .isNotEqualTo(RunIdFilter.hash(1, "ba")).isNotEqualTo(RunIdFilter.hash(1, "ab\0"))
                .isEqualTo(RunIdFilter.hash(1, new String("ab")));
    }
}
