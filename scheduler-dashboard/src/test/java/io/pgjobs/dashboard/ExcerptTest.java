package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How an error quotes a value the client sent: short, quoted, and with nothing invisible or raw in it. */
class ExcerptTest {
    @Test
    void aShortPlainValueIsQuotedAsItIs() {
        assertThat(Excerpt.of("yesterday")).isEqualTo("'yesterday'");
        assertThat(Excerpt.of("é 😀 <b> \"x\"")).isEqualTo("'é 😀 <b> \"x\"'");
        assertThat(Excerpt.of("")).isEqualTo("''");
        assertThat(Excerpt.of(null)).isEqualTo("null");
    }

    @Test
    void controlAndInvisibleCharactersAreEscapedAndABackslashIsDoubled() {
        assertThat(Excerpt.of("a\nb\r\tc\u0000d\u001be\u007f")).isEqualTo("'a\\nb\\r\\tc\\u0000d\\u001be\\u007f'");
        // a right-to-left override, a zero-width space, a line separator, a lone surrogate, a private use character
        assertThat(Excerpt.of("\u202e\u200b\u2028\ud800\ue000")).isEqualTo("'\\u202e\\u200b\\u2028\\ud800\\ue000'");
        assertThat(Excerpt.of("\\u0041")).isEqualTo("'\\\\u0041'");
    }

    @Test
    void aLongValueIsCutAtAHundredCharactersNamingItsLength() {
        assertThat(Excerpt.of("x".repeat(100))).isEqualTo("'" + "x".repeat(100) + "'");
        assertThat(Excerpt.of("x".repeat(101))).isEqualTo("'" + "x".repeat(100) + "…' (101 characters)");
        // counted in characters, not UTF-16 units: an emoji is not cut in half
        assertThat(Excerpt.of("😀".repeat(150))).isEqualTo("'" + "😀".repeat(100) + "…' (150 characters)");
    }
}
