package io.pgjobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RedactorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Redactor redactor = Redactor.defaults();

    @Test
    void keysAreComparedWithoutCaseOrSeparators() {
        for (String key : new String[] {"password", "PASSWD", "pwd", "API-KEY", "api_key", "apiKey", "Authorization",
                "credentials", "access.key", "private_key", "card_token", "db_password", "X-Session-Cookie"}) {
            assertThat(redactor.hidesKey(key)).as(key).isTrue();
        }
        for (String key : new String[] {"customer_id", "city", "author", "plan", ""}) {
            assertThat(redactor.hidesKey(key)).as(key).isFalse();
        }
    }

    @Test
    void hidesValuesByPatternAndTheValuesOfHiddenNamesInText() {
        assertThat(redactor.redact("card 4242 4242 4242 4242 declined, order 4242 4242 4242 4241"))
                .isEqualTo("card [redacted] declined, order 4242 4242 4242 4241");
        assertThat(redactor.redact("login failed: password=hunter2; user=bob, {\"apiKey\": \"k-1\"}"))
                .isEqualTo("login failed: password=[redacted]; user=bob, {\"apiKey\": \"[redacted]\"}");
        assertThat(redactor.redact("Authorization: Bearer abcdefgh12345678")).doesNotContain("abcdefgh12345678");
        // a stack trace's source lines stay, even in classes named after secrets
        assertThat(redactor.redact("\tat com.example.TokenStore.load(TokenStore.java:42)"))
                .isEqualTo("\tat com.example.TokenStore.load(TokenStore.java:42)");
    }

    @Test
    void redactsJsonAtAnyDepthAndTakesRulesOfItsOwn() throws Exception {
        var json = JSON.readTree("{\"a\": [{\"Api-Key\": \"k\", \"iban\": \"DE00\", \"note\": \"pay with 4111111111111111\"}]}");
        assertThat(redactor.withKeys(Pattern.compile("iban")).redact(json).toString())
                .isEqualTo("{\"a\":[{\"Api-Key\":\"[redacted]\",\"iban\":\"[redacted]\",\"note\":\"pay with [redacted]\"}]}");
        assertThat(Redactor.none().withValues(Pattern.compile("secret-\\d+")).redact("id secret-42 password=x"))
                .isEqualTo("id [redacted] password=x");
    }

    @Test
    void findsWhatAnArgsFilterWouldReveal() {
        assertThat(redactor.hiddenIn("customer_id = 42 and nested.api_key = abc")).isEqualTo("the redacted field 'api_key'");
        assertThat(redactor.hiddenIn("note = \"4242 4242 4242 4242\"")).isEqualTo("a redacted value");
        assertThat(redactor.hiddenIn("customer_id = 42 and plan != free")).isNull();
    }
}
