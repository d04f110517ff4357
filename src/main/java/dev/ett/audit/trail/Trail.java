package dev.ett.audit.trail;

import java.time.Instant;
import java.util.List;

/**
 * One server's audit trail as read back ({@link TrailReader}): its links, and its streams each tied
 * to the link that carried it. Streams are in the order they were opened (as written).
 *
 * @param name how the operator named it on the command line (a path, or several joined by commas)
 * @param links every link seen, in order
 * @param streams every stream opened (with its end when the trail has it)
 * @param refusals every refused stream
 * @param skipped lines that could not be read
 */
public record Trail(
    String name, List<Link> links, List<Stream> streams, List<Refusal> refusals, Skipped skipped) {
  public Trail {
    links = List.copyOf(links);
    streams = List.copyOf(streams);
    refusals = List.copyOf(refusals);
  }

  /**
   * One link as its {@code link_up} (and {@code link_down}) tell it. A link whose {@code link_up}
   * is not in the trail (an earlier file not given) has null {@code up}, {@code fingerprint} and
   * {@code remote}.
   *
   * @param trail the {@link Trail#name} it was read from
   * @param down null while the trail does not show it going down
   */
  public record Link(
      String trail,
      long id,
      Instant up,
      Instant down,
      String client,
      String fingerprint,
      String remote) {}

  /**
   * One stream: its {@code stream_opened}, and its {@code stream_closed} when the trail has it.
   *
   * @param opened when it was connected (for a stream whose opening is not in the trail: its close
   *     time less its duration)
   * @param closed null while the trail does not show it ending
   * @param source this server's end of the connection to {@code resolved} (null in trails written
   *     before the field existed)
   * @param end the {@code end} of its {@code stream_closed}, or null
   */
  public record Stream(
      Link link,
      int id,
      Instant opened,
      Instant closed,
      String requested,
      String resolved,
      String source,
      String rule,
      long bytesFromClient,
      long bytesToClient,
      String end) {
    /** Whether it was open at some instant of {@code [from, to]}. */
    boolean overlaps(Instant from, Instant to) {
      return !opened.isAfter(to) && !(closed == null ? opened : closed).isBefore(from);
    }
  }

  /** One {@code stream_refused}. */
  public record Refusal(
      Link link, Instant time, String requested, String end, String code, String reason) {}

  /**
   * Lines that were not audit events this reader can use, counted by kind, each kind with where its
   * first one is ({@code file:line}) so that the operator can look.
   */
  public record Skipped(
      long notJson,
      String firstNotJson,
      long unknownEvent,
      String firstUnknownEvent,
      long badFields,
      String firstBadFields) {
    public static final Skipped NONE = new Skipped(0, null, 0, null, 0, null);

    public long total() {
      return notJson + unknownEvent + badFields;
    }

    /** "3 lines skipped: 1 not JSON (a.jsonl:7), 2 of unknown events (a.jsonl:2)". */
    public String describe() {
      StringBuilder b = new StringBuilder();
      b.append(total()).append(total() == 1 ? " line skipped:" : " lines skipped:");
      String sep = " ";
      if (notJson > 0) {
        b.append(sep).append(notJson).append(" not JSON (").append(firstNotJson).append(')');
        sep = ", ";
      }
      if (unknownEvent > 0) {
        b.append(sep)
            .append(unknownEvent)
            .append(" of unknown events (")
            .append(firstUnknownEvent)
            .append(')');
        sep = ", ";
      }
      if (badFields > 0) {
        b.append(sep)
            .append(badFields)
            .append(" with missing or ill-typed fields (")
            .append(firstBadFields)
            .append(')');
      }
      return b.toString();
    }
  }
}
