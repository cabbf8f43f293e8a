package dev.agnomemory.core.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The conversation index's fused ranking over texts in memory (what user memories are ranked with). */
class HybridTextRankingTest {

    private static final List<String> TEXTS = List.of(
            "The user likes jazz and plays the saxophone.",
            "The user hiked the Preikestolen trail in Norway.",
            "The user's dog is named Biscuit.",
            "The user works as a data engineer.");

    @Test
    void aWordMatchLiftsATextTheMeaningRankingPutsLast() {
        HybridTextRanking ranking = HybridTextRanking.over(TEXTS);
        float[] similarity = {0.9f, 0.5f, 0.1f, 0.4f};
        assertThat(ranking.rank("How is Biscuit doing?", similarity, 4)).containsExactly(2, 0, 1, 3);
        assertThat(ranking.rank("Where did she go hiking?", similarity, 2)).as("stemmed: hiking ~ hiked")
                .containsExactly(1, 0);
    }

    @Test
    void withoutSearchableWordsTheMeaningDecidesAndTiesGoToTheEarlierText() {
        HybridTextRanking ranking = HybridTextRanking.over(TEXTS);
        assertThat(ranking.rank("what is it?", new float[] {0.2f, 0.7f, 0.7f, -0.3f}, 3)).containsExactly(1, 2, 0);
        assertThat(ranking.rank("", new float[] {0.2f, 0.7f, 0.1f, 0.3f}, 10)).containsExactly(1, 3, 0, 2);
    }

    @Test
    void noTextsRankNothingAndBadArgumentsAreRefused() {
        assertThat(HybridTextRanking.over(List.of()).rank("jazz", new float[0], 5)).isEmpty();
        HybridTextRanking ranking = HybridTextRanking.over(TEXTS);
        assertThat(ranking.size()).isEqualTo(4);
        assertThatThrownBy(() -> ranking.rank("jazz", new float[3], 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("one score per text (4), but has 3");
        assertThatThrownBy(() -> ranking.rank("jazz", new float[4], 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit");
    }
}
