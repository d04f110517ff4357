package dev.ett.client;

import dev.ett.mux.Exit;
import dev.ett.mux.Mux;
import dev.ett.mux.ReverseExit;
import dev.ett.util.Log;
import dev.ett.wire.Destination;
import dev.ett.wire.Frame;
import dev.ett.wire.RefuseCode;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The client's {@code -R} listeners (PROTOCOL.md §10): on every link that comes up it asks the
 * server for each of them again (LISTEN), reports what the server answered, and connects the
 * streams the server opens — only ever to the target its own {@code -R} named for that listener. A
 * server that asks for anything else (a listener this link never asked for, or a destination for a
 * forward listener) gets REFUSED {@code 02} and a log line: a compromised server must not be able
 * to use its clients as exits.
 *
 * <p>Runs on the client's event loop (the link's): its per-link state is replaced at each link up.
 */
public final class ReverseForwards implements Consumer<Mux> {
  private final List<ReverseSpec> specs;
  private final Consumer<String> onBound;
  private final ReverseProxyExit proxyExit; // for -R [BIND:]PORT; its rules are the client's

  /** Per link: listener id to the spec it was asked for, once the server granted it. */
  private Map<Integer, ReverseSpec> granted = new HashMap<>();

  private Map<Integer, ReverseSpec> asked = new HashMap<>();

  /** Port 0 listeners: the port the server chose the first time, asked for again on reconnect. */
  private final Map<ReverseSpec, Integer> chosen = new HashMap<>();

  /**
   * @param onBound told "127.0.0.1:8080" (the server's bound address) for each listener granted, on
   *     every link: the command prints it
   */
  public ReverseForwards(List<ReverseSpec> specs, Consumer<String> onBound) {
    this(specs, onBound, null);
  }

  /**
   * @param proxyExit connects the streams of proxy listeners ({@code -R [BIND:]PORT}) under the
   *     client's own rules; null when there are none
   */
  public ReverseForwards(
      List<ReverseSpec> specs, Consumer<String> onBound, ReverseProxyExit proxyExit) {
    this.specs = List.copyOf(specs);
    this.onBound = onBound;
    this.proxyExit = proxyExit;
  }

  /** A link came up (Client's hook): ask for every listener on it. */
  @Override
  public void accept(Mux mux) {
    if (specs.isEmpty()) {
      return;
    }
    if (!mux.link().peerSupportsReverse()) {
      Log.warn(
          "server does not support -R (ett older than reverse forwarding: its handshake does not"
              + " announce it); "
              + specs.size()
              + " -R listener(s) not set up");
      return;
    }
    Map<Integer, ReverseSpec> linkGranted = new HashMap<>();
    Map<Integer, ReverseSpec> linkAsked = new HashMap<>();
    granted = linkGranted;
    asked = linkAsked;
    mux.setReverseExit(new Exit(linkGranted, proxyExit));
    mux.setListenerFrames(f -> onListenerFrame(f, linkAsked, linkGranted));
    int id = 1;
    for (ReverseSpec s : specs) {
      int port = s.port() == 0 ? chosen.getOrDefault(s, 0) : s.port();
      linkAsked.put(id, s);
      mux.sendLinkFrame(new Frame.Listen(id, s.target().isEmpty(), Destination.of(s.bind(), port)));
      id++;
    }
  }

  private void onListenerFrame(
      Frame f, Map<Integer, ReverseSpec> linkAsked, Map<Integer, ReverseSpec> linkGranted) {
    switch (f) {
      case Frame.Listening l -> {
        ReverseSpec s = linkAsked.remove(l.listener());
        if (s == null) {
          Log.warn(
              "server granted listener "
                  + Integer.toUnsignedString(l.listener())
                  + " never asked for; ignored");
          return;
        }
        linkGranted.put(l.listener(), s);
        if (s.port() == 0) {
          chosen.put(s, l.bound().port());
        }
        String bound = l.bound().toString();
        Log.info(
            "-R "
                + s
                + ": the server listens on "
                + bound
                + (s.port() == 0 ? " (port " + l.bound().port() + " chosen by the server)" : ""));
        onBound.accept(bound);
      }
      case Frame.ListenRefused r -> {
        ReverseSpec s = linkAsked.remove(r.listener());
        Log.warn(
            "-R "
                + (s == null ? "listener " + Integer.toUnsignedString(r.listener()) : s.toString())
                + " refused by the server: "
                + r.code().text
                + (r.reason().isEmpty() ? "" : ": " + r.reason()));
      }
      case Frame.Unlisten u -> {
        ReverseSpec s = linkGranted.remove(u.listener());
        if (s != null) {
          Log.warn("-R " + s + ": the server closed the listener");
        }
      }
      default -> throw new IllegalStateException("not a listener frame for the client: " + f);
    }
  }

  /** Listeners granted on the current link (for tests and status). */
  public int grantedCount() {
    return granted.size();
  }

  /** Connects the streams of one link's granted listeners, and nothing else. */
  private static final class Exit implements ReverseExit {
    private final Map<Integer, ReverseSpec> granted;
    private final ReverseProxyExit proxyExit;

    Exit(Map<Integer, ReverseSpec> granted, ReverseProxyExit proxyExit) {
      this.granted = granted;
      this.proxyExit = proxyExit;
    }

    @Override
    public void open(
        int listener,
        Optional<Destination> destination,
        EventLoop loop,
        dev.ett.mux.Exit.Callback callback) {
      ReverseSpec s = granted.get(listener);
      String which = "listener " + Integer.toUnsignedString(listener);
      if (s == null) {
        Log.warn(
            "refused a stream the server opened for "
                + which
                + ", which this link does not hold (never asked for, refused or closed)"
                + destination.map(d -> "; it named " + d).orElse(""));
        callback.refused(RefuseCode.POLICY, which + " is not ours");
        return;
      }
      if (s.target().isEmpty()) {
        // A proxy listener: the server's proxy names the destination; our own rules decide.
        if (destination.isEmpty() || proxyExit == null) {
          Log.warn("refused a stream the server opened for -R " + s + " without a destination");
          callback.refused(RefuseCode.POLICY, "proxy listener: no destination");
          return;
        }
        proxyExit.open("-R " + s, destination.get(), loop, callback);
        return;
      }
      if (destination.isPresent()) {
        Log.warn(
            "refused a stream the server opened for -R "
                + s
                + " naming "
                + destination.get()
                + ": this listener goes to "
                + s.target().get()
                + " only");
        callback.refused(RefuseCode.POLICY, "forward listener: destination not allowed");
        return;
      }
      Destination to = s.target().get();
      InetSocketAddress address =
          to.isName()
              ? InetSocketAddress.createUnresolved(to.name(), to.port())
              : new InetSocketAddress(to.address(), to.port());
      ReverseProxyExit.connect("-R " + s, to, address, loop, callback);
    }
  }
}
