package dev.ett.server;

import dev.ett.config.Authorized;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.ConfigException;
import dev.ett.config.Hosts;
import dev.ett.config.HostsFile;
import dev.ett.config.KeyFile;
import dev.ett.config.PolicyFile;
import dev.ett.link.ServerHandshake;
import dev.ett.noise.KeyPair;
import dev.ett.policy.Policy;
import dev.ett.util.Log;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the server's configuration files and hands a new {@link Server.Config} to the server; on
 * SIGHUP and when a file changes ({@link ConfigWatcher}). All files are read and parsed first; if
 * any of them is broken, nothing changes and the error (file, line, reason) is logged: a typo
 * during an edit must not lock everybody out, nor let anybody in.
 */
public final class Reloader {
  /**
   * Where the configuration comes from.
   *
   * @param authorized the authorized clients file (with per-client rules and limits)
   * @param cliRules {@code --policy} values; fixed for the life of the process
   * @param policyFile optional global rules file, reloaded (null if none)
   * @param hosts optional hosts file, reloaded (null if none)
   * @param keys the server's private key files, read again on reload so that a key can be added or
   *     dropped (rotation); empty: the server's keys are not reloaded
   */
  public record Sources(
      Path authorized, List<String> cliRules, Path policyFile, Path hosts, List<Path> keys) {
    public Sources {
      cliRules = List.copyOf(cliRules);
      keys = List.copyOf(keys);
    }

    /** Without key files: a reload keeps the server's keys. */
    public Sources(Path authorized, List<String> cliRules, Path policyFile, Path hosts) {
      this(authorized, cliRules, policyFile, hosts, List.of());
    }

    /** The files worth watching. */
    public List<Path> files() {
      List<Path> out = new ArrayList<>();
      out.add(authorized);
      if (policyFile != null) {
        out.add(policyFile);
      }
      if (hosts != null) {
        out.add(hosts);
      }
      return out;
    }
  }

  private final Server server;
  private Sources sources;

  public Reloader(Server server, Sources sources) {
    this.server = server;
    this.sources = sources;
  }

  /** Reads and parses every file; throws naming the file and line of the first problem. */
  public static Server.Config load(Sources s) throws IOException {
    Authorized authorized = AuthorizedFile.read(s.authorized());
    Policy global = PolicyFile.global(s.cliRules(), s.policyFile());
    Hosts hosts = s.hosts() == null ? null : HostsFile.read(s.hosts());
    return new Server.Config(authorized, global, hosts, readKeys(s.keys()));
  }

  /**
   * The server's private keys, in the order given (the one most clients pin first: it is tried
   * first); at most {@link ServerHandshake#MAX_KEYS}, no key twice.
   */
  public static List<KeyPair> readKeys(List<Path> files) throws IOException {
    if (files.size() > ServerHandshake.MAX_KEYS) {
      throw new ConfigException(
          "--key: "
              + files.size()
              + " keys (expected: at most "
              + ServerHandshake.MAX_KEYS
              + "; each costs every handshake for a later one a Diffie-Hellman operation)");
    }
    List<KeyPair> keys = new ArrayList<>();
    for (Path f : files) {
      KeyPair k = KeyPair.fromPrivateKey(KeyFile.readPrivate(f));
      if (keys.contains(k)) {
        throw new ConfigException(
            "--key " + f + ": the same key as --key " + files.get(keys.indexOf(k)));
      }
      keys.add(k);
    }
    return keys;
  }

  /**
   * Loads the files and applies them, or keeps the current configuration if they are broken.
   *
   * @param why what triggered the reload ("SIGHUP", "authorized changed"), for the log
   * @return true if the new configuration was applied
   */
  public synchronized boolean reload(String why) {
    return reload(why, sources, null);
  }

  /**
   * Like {@link #reload(String)}, from new sources (a config file that now names other files or
   * rules) and with new default limits (null: unchanged); they are kept only if they load.
   */
  public synchronized boolean reload(String why, Sources next, dev.ett.policy.Limits defaults) {
    Server.Config config;
    try {
      config = load(next);
    } catch (IOException | RuntimeException e) {
      Log.error(
          "reload (" + why + ") failed, keeping the previous configuration: " + e.getMessage());
      return false;
    }
    sources = next;
    server.reload(config, defaults, why);
    return true;
  }
}
