package dev.agnomemory.core.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.storage.StorageException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgTextTest {

    @Test
    void ordinaryTextIsStoredUnchanged() {
        for (String s : List.of("", "plain", "emoji 👩‍🚀 עברית 漢字 e\u0301", "\uD83D\uDE00", "tab\tnewline\n\u0001")) {
            assertThat(PgText.encode(s)).isSameAs(s);
            assertThat(PgText.decode(s)).isSameAs(s);
        }
    }

    @Test
    void nulLoneSurrogatesAndTheEscapeItselfRoundTrip() {
        List<String> odd = List.of("\u0000", "a\u0000b", "\uD800", "\uDC00x", "x\uD800", "\uDBFF\uDFFF\uD800",
                "\uFDD0", "\uFDD00041", "\uFDD0\u0000\uFDD0", "\uDC00\uD800");
        for (String s : odd) {
            String stored = PgText.encode(s);
            assertThat(stored).doesNotContain("\u0000");
            assertThat(stored.codePoints().noneMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF)).as(s).isTrue();
            assertThat(PgText.decode(stored)).isEqualTo(s);
        }
        assertThat(PgText.encode("a\u0000b")).isEqualTo("a\uFDD00000b");
        assertThat(PgText.encode("\uFDD0")).isNotEqualTo(PgText.encode("\u0000"));
    }

    @Test
    void aDamagedEscapeIsAStorageError() {
        assertThatThrownBy(() -> PgText.decode("x\uFDD00")).isInstanceOf(StorageException.class)
                .hasMessageContaining("truncated escape");
        assertThatThrownBy(() -> PgText.decode("x\uFDD0zzzz")).isInstanceOf(StorageException.class)
                .hasMessageContaining("malformed escape");
    }

    @Test
    void timesOutsidePostgresRangeAreRefusedNamingTheField() {
        assertThat(PgTime.timestamp(PgTime.MIN, "t")).isEqualTo("4714-11-24 00:00:00.000000+00 BC");
        assertThat(PgTime.timestamp(Instant.parse("2026-01-02T03:04:05.123456789Z"), "t"))
                .isEqualTo("2026-01-02 03:04:05.123456+00");
        assertThat(PgTime.nanos(Instant.parse("2026-01-02T03:04:05.123456789Z"))).isEqualTo((short) 789);
        assertThatThrownBy(() -> PgTime.timestamp(PgTime.MIN.minusNanos(1), "createdAt"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("createdAt");
        assertThatThrownBy(() -> PgTime.timestamp(PgTime.END, "createdAt"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("294246");
        assertThatThrownBy(() -> PgTime.timestamp(Instant.MAX, "x")).isInstanceOf(IllegalArgumentException.class);
    }
}
