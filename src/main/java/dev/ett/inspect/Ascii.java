package dev.ett.inspect;

/** Small ASCII helpers shared by the parsers: character classes and escaping for reasons. */
final class Ascii {
  private Ascii() {}

  static boolean isPrintable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** tchar (RFC 9110 §5.6.2): the characters of a token such as a method or field name. */
  static boolean isTchar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || (c < 0x80 && "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
  }

  static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  /**
   * A character a host name may hold: letters, digits, hyphen, dot, underscore (seen in practice).
   */
  static boolean isHostChar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || isDigit(c)
        || c == '-'
        || c == '.'
        || c == '_';
  }

  /** At most {@code max} characters of {@code s}, anything outside printable ASCII as \xNN. */
  static String escape(String s, int max) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < max; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
        b.append(c);
      } else {
        b.append(String.format("\\x%02x", c & 0xff));
      }
    }
    if (s.length() > max) {
      b.append("...");
    }
    return b.toString();
  }
}
