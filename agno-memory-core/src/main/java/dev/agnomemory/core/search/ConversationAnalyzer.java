package dev.agnomemory.core.search;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.WordlistLoader;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.tartarus.snowball.ext.EnglishStemmer;

/**
 * How the index turns text into words, for messages and queries alike.
 *
 * <p>Rules:
 * <ul>
 *   <li>Unicode word boundaries (Lucene's {@code StandardTokenizer}); possessive {@code 's} dropped; lower-cased.</li>
 *   <li>Stop words: the Snowball project's English list (174 words, shipped with Lucene), which also drops question
 *       and auxiliary words ("what", "when", "did", "do") that the shorter Lucene default list keeps; measured on
 *       LoCoMo they only added noise to short messages.</li>
 *   <li>Stemming: the Snowball English stemmer (Porter2).</li>
 *   <li>A query keeps at most {@link #MAX_QUERY_TERMS} distinct words (the first ones), each weighted by how
 *       often it occurs, so a huge query costs no more than a long one.</li>
 * </ul>
 */
final class ConversationAnalyzer extends Analyzer {

    /** The most distinct words a query is searched with. */
    static final int MAX_QUERY_TERMS = 64;

    private static final CharArraySet STOP_WORDS = loadStopWords();

    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
        Tokenizer tokenizer = new StandardTokenizer();
        TokenStream stream = new EnglishPossessiveFilter(tokenizer);
        stream = new LowerCaseFilter(stream);
        stream = new StopFilter(stream, STOP_WORDS);
        stream = new SnowballFilter(stream, new EnglishStemmer());
        return new TokenStreamComponents(tokenizer, stream);
    }

    @Override
    protected TokenStream normalize(String fieldName, TokenStream in) {
        return new LowerCaseFilter(in);
    }

    /**
     * The words of a query with their counts, in order of first occurrence.
     *
     * @param field the field the words are searched in
     * @param text the query
     * @return at most {@link #MAX_QUERY_TERMS} words
     */
    Map<String, Integer> queryTerms(String field, String text) {
        Map<String, Integer> terms = new LinkedHashMap<>();
        try (TokenStream stream = tokenStream(field, text)) {
            CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
            stream.reset();
            while (stream.incrementToken()) {
                String word = term.toString();
                if (terms.size() < MAX_QUERY_TERMS || terms.containsKey(word)) {
                    terms.merge(word, 1, Integer::sum);
                }
            }
            stream.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a String does not fail
        }
        return terms;
    }

    private static CharArraySet loadStopWords() {
        try (Reader reader = new InputStreamReader(
                SnowballFilter.class.getResourceAsStream("english_stop.txt"), StandardCharsets.UTF_8)) {
            return CharArraySet.unmodifiableSet(WordlistLoader.getSnowballWordSet(reader));
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("Lucene's Snowball English stop word list is missing from the class path",
                    e);
        }
    }
}
