package dev.ett.cli;

import dev.ett.config.ConfigException;
import dev.ett.server.Reloader;
import dev.ett.util.Log;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A server's {@code --config} file on reload (SIGHUP, or the file changed): read again and parsed
 * with the same command-line flags into a fresh {@link ServerCommand}, compared option by option
 * with the running one. The reloadable options ({@link #RELOADABLE}: who may connect, the exit
 * policy, names, per-client limits) are applied through {@link Reloader}, all together or not at
 * all; a change to any other option (listen, key, threads, window...) cannot be applied to a
 * running server, so it is logged at warn, once per new value, naming the keys, and the running
 * value stays until a restart. An option added to ett later needs a restart until it is listed
 * here: the safe default.
 */
final class ServerConfigReload {
  /** Keys a reload applies. */
  static final Set<String> RELOADABLE =
      Set.of(
          "authorized",
          "key",
          "policy",
          "policy-file",
          "hosts",
          "client-max-streams",
          "client-rate",
          "client-burst",
          "client-bandwidth");

  private final Map<String, Object> running;

  /** Restart-only keys already warned about, with the value warned about. */
  private final Map<String, Object> warned = new HashMap<>();

  private ConfigArgs.Loaded loaded;

  ServerConfigReload(ConfigArgs.Loaded loaded, ServerCommand started) {
    this.loaded = loaded;
    this.running = values(started);
  }

  /**
   * Reads the file and applies what can be applied.
   *
   * @return false if the file (or a file it names) is broken: nothing changed
   */
  synchronized boolean reload(String why, Reloader reloader) {
    ServerCommand next;
    Reloader.Sources sources;
    dev.ett.policy.Limits limits;
    ConfigArgs.Loaded again;
    try {
      again = loaded.reread();
      next = parse(again);
      sources = next.sources();
      limits = next.defaultLimits();
    } catch (IOException | RuntimeException e) {
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      Log.error(
          "reload ("
              + why
              + ") failed, keeping the previous configuration: "
              + loaded.explain(msg));
      return false;
    }
    boolean ok = reloader.reload(why, sources, limits);
    if (ok) {
      loaded = again;
      warnAboutRestart(values(next));
    }
    return ok;
  }

  /**
   * Logs, once per new value, the restart-only options whose value differs from the running one.
   */
  private void warnAboutRestart(Map<String, Object> next) {
    List<String> changed = new ArrayList<>();
    for (Map.Entry<String, Object> e : next.entrySet()) {
      String key = e.getKey();
      if (RELOADABLE.contains(key)) {
        continue;
      }
      if (Objects.equals(e.getValue(), running.get(key))) {
        warned.remove(key); // back to the running value: a later change is news again
      } else if (!warned.containsKey(key) || !Objects.equals(warned.get(key), e.getValue())) {
        warned.put(key, e.getValue());
        changed.add(key);
      }
    }
    if (!changed.isEmpty()) {
      Log.warn(
          String.join(", ", changed)
              + " changed in "
              + loaded.file().source()
              + ": restart to apply (until then the"
              + (changed.size() == 1 ? " running value stays)" : " running values stay)"));
    }
  }

  /** The file and flags parsed into a fresh command, as at start. */
  private static ServerCommand parse(ConfigArgs.Loaded l) throws ConfigException {
    ServerCommand c = new ServerCommand();
    try {
      new CommandLine(c).parseArgs(l.args().toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new ConfigException(l.file().source() + ": " + e.getMessage());
    }
    return c;
  }

  /** Every option's value by key. */
  private static Map<String, Object> values(ServerCommand c) {
    CommandSpec spec = new CommandLine(c).getCommandSpec();
    Map<String, Object> out = new HashMap<>();
    for (Map.Entry<String, OptionSpec> e : ConfigArgs.keys(spec).entrySet()) {
      out.put(e.getKey(), e.getValue().getValue());
    }
    return out;
  }
}
