package dev.ett.front;

import dev.ett.mux.StreamListener;
import dev.ett.mux.StreamSocketHandler;
import dev.ett.util.Log;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One application connection on a {@link ProxyFront} while its request is read, and the hand-off of
 * its socket to the client once the request is understood.
 *
 * <p>The order of a hand-off matters: {@link #detach} first installs the {@link
 * StreamSocketHandler} (which holds whatever the application sent after its request), then removes
 * the codec handlers, whose unread bytes flow into it; only then does {@link #open} give the socket
 * to the client.
 */
final class ProxyConnection {
  enum State {
    /** Reading the request; the deadline runs. */
    NEGOTIATING,
    /** The socket belongs to a stream (or is waiting for the link). */
    HANDED_OFF,
    CLOSED
  }

  private final ProxyFront front;
  final Channel socket;
  private final ScheduledFuture<?> deadline;
  private final ScheduledFuture<?> silentDeadline;
  private State state = State.NEGOTIATING;
  private boolean spoke;

  ProxyConnection(ProxyFront front, Channel socket) {
    this.front = front;
    this.socket = socket;
    long requestMs = front.limits.requestTimeout().toMillis();
    this.deadline = socket.eventLoop().schedule(this::onDeadline, requestMs, TimeUnit.MILLISECONDS);
    this.silentDeadline =
        socket
            .eventLoop()
            .schedule(
                this::onSilentDeadline,
                Math.min(requestMs, ProxyFront.SILENT_TIMEOUT.toMillis()),
                TimeUnit.MILLISECONDS);
    socket.closeFuture().addListener(f -> onClosed());
  }

  private void onDeadline() {
    if (state == State.NEGOTIATING) {
      Log.debug(
          front.describe()
              + ": no complete request from "
              + socket.remoteAddress()
              + " in time; closing");
      socket.close();
    }
  }

  private void onSilentDeadline() {
    if (state == State.NEGOTIATING && !spoke) {
      Log.debug(
          front.describe() + ": nothing from " + socket.remoteAddress() + " in time; closing");
      socket.close();
    }
  }

  /** The first bytes arrived (the protocol detector saw them). */
  void onFirstBytes() {
    if (state == State.NEGOTIATING && !spoke) {
      spoke = true;
      silentDeadline.cancel(false);
      front.onSpoke(this);
    }
  }

  private void onClosed() {
    state = State.CLOSED;
    deadline.cancel(false);
    silentDeadline.cancel(false);
  }

  boolean negotiating() {
    return state == State.NEGOTIATING;
  }

  /** Whether credentials are needed. */
  boolean authRequired() {
    return front.authenticator != null;
  }

  /**
   * Checks credentials; {@code done} runs on the socket's loop, maybe synchronously, a failure at a
   * fixed time after the attempt (see {@link Authenticator}). An attempt over its lane's limit
   * closes the socket instead, and {@code done} never runs.
   */
  void authenticate(String user, String password, Consumer<Boolean> done) {
    if (front.authenticator == null) {
      done.accept(true);
      return;
    }
    front.authenticator.check(
        socket.remoteAddress(),
        user,
        password,
        socket.eventLoop(),
        socket::isOpen,
        outcome -> {
          if (outcome != Authenticator.Outcome.ACCEPTED) {
            front.loginFailed(socket);
          }
          if (!socket.isOpen()) {
            return;
          }
          switch (outcome) {
            case ACCEPTED -> done.accept(true);
            case REFUSED -> done.accept(false);
            case OVER_LIMIT -> socket.close(); // too many attempts waiting in its lane: no answer
          }
        });
  }

  /**
   * Installs the stream handler and removes {@code handlers}, in that order (each handler's unread
   * bytes then reach the stream handler, which holds them until the stream exists).
   */
  void detach(ChannelHandler... handlers) {
    StreamSocketHandler.install(socket);
    ChannelPipeline p = socket.pipeline();
    for (ChannelHandler h : handlers) {
      if (p.context(h) != null) {
        p.remove(h);
      }
    }
  }

  /**
   * Gives the socket to the client: a stream to {@code destination}. Call after {@link #detach}.
   */
  void open(Destination destination, StreamListener listener, boolean zeroRtt) {
    if (state != State.NEGOTIATING) {
      return; // closed meanwhile (deadline, application gone)
    }
    deadline.cancel(false);
    silentDeadline.cancel(false);
    if (!front.onNegotiated(this)) {
      // Closed to make room by a connection accepted on another loop, just before its request
      // completed: the close is on its way to this loop.
      state = State.CLOSED;
      socket.close();
      return;
    }
    state = State.HANDED_OFF;
    front.opener.open(destination, socket, listener, zeroRtt);
  }

  /** Logs a refused stream the way every front does. */
  /** A request whose destination the front refused itself, before anything was sent. */
  void logBadDestination(String why) {
    Log.debug(
        front.describe()
            + ": refused a request from "
            + socket.remoteAddress()
            + " without sending it: "
            + why);
  }

  void logRefused(Destination destination, RefuseCode code, String reason) {
    Log.info(
        front.describe()
            + ": "
            + destination
            + " refused: "
            + code.text
            + (reason.isEmpty() ? "" : " (" + reason + ")"));
  }

  /**
   * Writes a last reply and closes: a normal close (FIN after the reply), not the reset the mux
   * gives a socket it still holds — the reply would be lost.
   */
  void replyAndClose(Object reply) {
    if (socket.isOpen()) {
      socket.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
      if (state == State.HANDED_OFF) {
        // The mux aborts a refused stream's socket if it is still open when onRefused returns;
        // the reply is already in the kernel (written on this loop), so close now, cleanly.
        socket.close();
      }
    }
  }
}
