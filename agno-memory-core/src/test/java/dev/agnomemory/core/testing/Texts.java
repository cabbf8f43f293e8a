package dev.agnomemory.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/** Assertions on texts too large to print. */
public final class Texts {

    private Texts() {
    }

    /**
     * Asserts the texts are equal, one by one, naming the first that differs by its index and length instead of
     * printing megabytes of text.
     *
     * @param actual what was read back
     * @param expected what was written
     */
    public static void assertSameTexts(List<String> actual, List<String> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).equals(expected.get(i)))
                    .as("text %d (length %d) differs; actual length %d", i, expected.get(i).length(),
                            actual.get(i).length())
                    .isTrue();
        }
    }
}
