package io.sparknorm.docs;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A built site served on the loopback address, as a web server would serve it (the search index is fetched, which
 * a page opened from disk may not do), recording every request that found no file.
 */
final class SiteServer implements AutoCloseable {
  private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "css", "text/css",
      "js", "text/javascript", "json", "application/json", "svg", "image/svg+xml", "png", "image/png", "xml",
      "application/xml", "map", "application/json", "ico", "image/x-icon");

  private final Path root;
  private final HttpServer server;
  private final List<String> missing = new CopyOnWriteArrayList<>();

  SiteServer(Path root) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::serve);
    server.start();
  }

  /** The URL of a file of the site, given by its path relative to the site's root. */
  String url(String relative) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + relative;
  }

  /** The paths that were asked for and not found, in order. */
  List<String> missing() {
    return List.copyOf(missing);
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = URI.create(exchange.getRequestURI().toString()).getPath();
      Path file = root.resolve(path.substring(1)).normalize();
      if (Files.isDirectory(file)) {
        file = file.resolve("index.html");
      }
      if (!file.startsWith(root) || !Files.isRegularFile(file)) {
        missing.add(path);
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      String name = file.getFileName().toString();
      String type = TYPES.getOrDefault(name.substring(name.lastIndexOf('.') + 1), "application/octet-stream");
      exchange.getResponseHeaders().set("Content-Type", type);
      byte[] body = Files.readAllBytes(file);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
