package io.pgjobs.dashboard;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The standalone server's answer to what never reaches the servlet (a malformed request line or URI, a path
 * outside the mount): {@code {"error": "Bad Request"}} with the status, as the JSON API answers, instead of
 * Jetty's HTML page, which names Jetty and may echo the request. A path Jetty refuses as ambiguous is named by
 * what makes it so, in words of our own for each of Jetty's fixed reasons; any other message is not passed on.
 */
final class JsonErrorHandler extends ErrorHandler {
    private static final String CONTENT_TYPE = "application/json;charset=utf-8";
    private static final Map<String, String> PATH_REASONS = Map.of(
            "Ambiguous URI path separator", "path: an encoded '/' (%2F) in a path is ambiguous; it is refused",
            "Ambiguous URI path segment",
            "path: a '.' or '..' segment written encoded (%2E) is ambiguous; it is refused",
            "Ambiguous URI path encoding", "path: an encoded '%' (%25) in a path is ambiguous; it is refused",
            "Ambiguous URI empty segment", "path: an empty segment ('//') is ambiguous; it is refused",
            "Suspicious Path Character", "path: a backslash or a control character in a path is refused");

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        String path = code == HttpStatus.BAD_REQUEST_400 ? PATH_REASONS.get(message) : null;
        response.write(true, path == null ? body(code) : json(path), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        return body(status);
    }

    /** Only the status's standard reason: Jetty's message can quote the request back. */
    private static ByteBuffer body(int code) {
        String reason = HttpStatus.getMessage(code);
        return json(reason == null ? "HTTP " + code : reason);
    }

    /** {@code error}, which holds no character JSON would need escaped. */
    private static ByteBuffer json(String error) {
        return ByteBuffer.wrap(("{\"error\":\"" + error + "\"}").getBytes(StandardCharsets.UTF_8));
    }
}
