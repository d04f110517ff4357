package dev.ett.mux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Goal of this test: the server's budget for buffered stream data, as plain accounting. */
class BufferBudgetTest {
  private final AtomicInteger shedA = new AtomicInteger(), shedB = new AtomicInteger();

  @Test
  void everyChargeWithinTheLimitIsAccepted() {
    BufferBudget budget = new BufferBudget(1000);
    BufferBudget.Account a = budget.open(shedA::incrementAndGet);
    budget.open(shedB::incrementAndGet);
    assertThat(a.tryCharge(1000)).as("the whole limit, far over a's share of 500").isTrue();
    assertThat(budget.used()).isEqualTo(1000);
    assertThat(shedA.get() + shedB.get()).isZero();
  }

  @Test
  void pastTheLimitALinkOverItsShareIsRefused() {
    BufferBudget budget = new BufferBudget(1000);
    BufferBudget.Account a = budget.open(shedA::incrementAndGet);
    budget.open(shedB::incrementAndGet);
    assertThat(a.tryCharge(900)).isTrue();
    assertThat(a.tryCharge(200)).isFalse();
    assertThat(a.used()).as("nothing charged for the refusal").isEqualTo(900);
    assertThat(budget.used()).isEqualTo(900);
  }

  @Test
  void pastTheLimitALinkWithinItsShareIsServedAndTheOneOverItsShareIsAskedToShed() {
    BufferBudget budget = new BufferBudget(1000);
    BufferBudget.Account a = budget.open(shedA::incrementAndGet);
    BufferBudget.Account b = budget.open(shedB::incrementAndGet);
    assertThat(a.tryCharge(900)).isTrue();

    assertThat(b.tryCharge(300)).as("b is within its share of 500").isTrue();
    assertThat(shedA.get()).as("a asked to shed").isOne();
    assertThat(b.tryCharge(100)).isTrue();
    assertThat(shedA.get()).as("asked once until its shed task runs").isOne();

    assertThat(a.shedding()).as("a's excess over its share").isEqualTo(400);
    a.release(400);
    assertThat(b.tryCharge(50)).isTrue(); // 950 in all: within the limit again
    assertThat(shedA.get()).isOne();
    assertThat(shedB.get()).isZero();
  }

  @Test
  void nothingPassesTheCeiling() {
    BufferBudget budget = new BufferBudget(1000);
    BufferBudget.Account a = budget.open(shedA::incrementAndGet);
    BufferBudget.Account b = budget.open(shedB::incrementAndGet);
    BufferBudget.Account c = budget.open(() -> {});
    assertThat(budget.ceiling()).isEqualTo(1500);
    assertThat(a.tryCharge(1000)).isTrue();
    assertThat(b.tryCharge(300)).as("within its share of 333").isTrue();
    assertThat(c.tryCharge(300)).as("within its share, but past the ceiling").isFalse();
    assertThat(budget.used()).isEqualTo(1300);
  }

  @Test
  void aClosedAccountNoLongerCountsTowardsTheShareButGivesBackWhatItHeld() {
    BufferBudget budget = new BufferBudget(1000);
    BufferBudget.Account a = budget.open(shedA::incrementAndGet);
    BufferBudget.Account b = budget.open(shedB::incrementAndGet);
    assertThat(budget.fairShare()).isEqualTo(500);
    assertThat(b.tryCharge(100)).isTrue();
    b.close();
    assertThat(budget.fairShare()).isEqualTo(1000);
    b.release(100); // a write that was in flight when the link closed
    assertThat(budget.used()).isZero();
    assertThat(a.tryCharge(1000)).isTrue();
  }

  @Test
  void releasingMoreThanWasChargedIsABug() {
    BufferBudget.Account a = new BufferBudget(1000).open(() -> {});
    a.tryCharge(10);
    assertThatThrownBy(() -> a.release(11)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theDefaultBudgetIsAQuarterOfTheDirectMemory() {
    assertThat(BufferBudget.forDirectMemory(64L << 20).limit()).isEqualTo(16L << 20);
    assertThatThrownBy(() -> new BufferBudget(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
