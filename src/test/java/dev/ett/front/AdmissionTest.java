package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the cap's bookkeeping without sockets — a connection closed to make room gives
 * its slot to the newcomer at once (its own close, arriving later from its loop, frees nothing), it
 * can no longer be handed off, and connections carrying streams are never chosen.
 */
class AdmissionTest {
  private final Admission<String> admission = new Admission<>(2);

  @Test
  void aNewConnectionOverTheCapTakesTheSlotOfTheOldestSilentOne() {
    assertThat(admission.admit("a").admitted()).isTrue();
    assertThat(admission.admit("b").admitted()).isTrue();
    admission.spoke("a");
    Admission.Verdict<String> c = admission.admit("c");
    assertThat(c.admitted()).isTrue();
    assertThat(c.evicted()).as("silent before talking").isEqualTo("b");
    assertThat(c.evictions()).isEqualTo(1);
    assertThat(admission.connections()).isEqualTo(2);

    admission.closed("b"); // b's close, late, from its own loop
    assertThat(admission.connections()).as("b's slot is c's already").isEqualTo(2);
    admission.spoke("c");
    Admission.Verdict<String> d = admission.admit("d");
    assertThat(d.evicted()).as("then the talking ones, oldest first").isEqualTo("a");
    assertThat(d.evictions()).isEqualTo(2);
  }

  @Test
  void aConnectionClosedToMakeRoomCannotBeHandedOffAfterwards() {
    admission.admit("a");
    admission.admit("b");
    assertThat(admission.admit("c").evicted()).isEqualTo("a");
    assertThat(admission.handOff("a")).as("its request completed on its loop too late").isFalse();
    assertThat(admission.handOff("b")).isTrue();
  }

  @Test
  void whenEveryConnectionCarriesAStreamANewOneIsRefused() {
    admission.admit("a");
    admission.admit("b");
    admission.handOff("a");
    admission.handOff("b");
    Admission.Verdict<String> c = admission.admit("c");
    assertThat(c.admitted()).isFalse();
    assertThat(c.evicted()).isNull();
    assertThat(admission.connections()).isEqualTo(2);
    admission.closed("a");
    assertThat(admission.admit("c").admitted()).isTrue();
  }
}
