// SPDX-License-Identifier: GPL-2.0
/*
 * edu_mmio: drives QEMU's "edu" PCI device (1234:11e8) through one fixed, documented sequence of
 * MMIO accesses, so that an mmiotrace of it can be checked event by event. The sequence and the
 * value of every access are listed in README.md; keep the two in step.
 *
 * Determinism matters more than speed here: the factorial is computed by another QEMU thread, so
 * we sleep before polling (one status read instead of a run-dependent number), and the interrupt
 * is acknowledged by our handler while the probe waits on a completion, which fixes the order of
 * the handler's accesses relative to the probe's.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_FACTORIAL 0x08
#define EDU_STATUS 0x20
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80

#define EDU_STATUS_BUSY 0x01

#define EDU_ID_VALUE 0x010000edU
#define LIVENESS_PROBE 0x12345678U
#define LIVENESS_REMOVE 0xcafef00dU
#define FACTORIAL_IN 5U
#define FACTORIAL_OUT 120U
#define IRQ_BIT 0x00010000U
#define WIDE_VALUE 0x1122334455667788ULL
#define BURST_DRAIN_MS 500

static unsigned int repeat = 1;
module_param(repeat, uint, 0444);
MODULE_PARM_DESC(repeat, "times the documented sequence runs at probe (default 1)");

static unsigned int burst;
module_param(burst, uint, 0444);
MODULE_PARM_DESC(burst,
		 "identification reads done back to back after each sequence, without sleeping (default 0); "
		 "with a tiny trace buffer they overflow it");

struct edu {
	void __iomem *bar0;
	struct completion irq_done;
	u32 irq_seen;
	int irq;
};

static irqreturn_t edu_irq(int irq, void *data)
{
	struct edu *edu = data;
	u32 status = readl(edu->bar0 + EDU_IRQ_STATUS);

	if (!status)
		return IRQ_NONE; /* a shared INTx line: not ours */
	writel(status, edu->bar0 + EDU_IRQ_ACK);
	edu->irq_seen = status;
	complete(&edu->irq_done);
	return IRQ_HANDLED;
}

/* Counts and logs one mismatch; the trace is checked anyway, this makes the console say why. */
static int expect(struct pci_dev *pdev, const char *what, u64 got, u64 want)
{
	if (got == want)
		return 0;
	dev_err(&pdev->dev, "%s: read 0x%llx, expected 0x%llx\n", what, got, want);
	return 1;
}

static int edu_sequence(struct pci_dev *pdev, struct edu *edu)
{
	void __iomem *bar0 = edu->bar0;
	unsigned int polls = 0, i;
	int bad = 0;

	bad += expect(pdev, "identification", readl(bar0 + EDU_ID), EDU_ID_VALUE);

	writel(LIVENESS_PROBE, bar0 + EDU_LIVENESS);
	bad += expect(pdev, "liveness", readl(bar0 + EDU_LIVENESS), (u32)~LIVENESS_PROBE);

	writel(FACTORIAL_IN, bar0 + EDU_FACTORIAL);
	msleep(10);
	while (readl(bar0 + EDU_STATUS) & EDU_STATUS_BUSY) {
		if (++polls > 1000) {
			dev_err(&pdev->dev, "factorial still busy after 1000 polls\n");
			return bad + 1;
		}
		udelay(100);
	}
	bad += expect(pdev, "factorial", readl(bar0 + EDU_FACTORIAL), FACTORIAL_OUT);

	reinit_completion(&edu->irq_done);
	edu->irq_seen = 0;
	writel(IRQ_BIT, bar0 + EDU_IRQ_RAISE);
	if (!wait_for_completion_timeout(&edu->irq_done, msecs_to_jiffies(2000))) {
		dev_err(&pdev->dev, "no interrupt within 2 s\n");
		bad++;
	}
	bad += expect(pdev, "interrupt seen by the handler", edu->irq_seen, IRQ_BIT);
	bad += expect(pdev, "interrupt status after ack", readl(bar0 + EDU_IRQ_STATUS), 0);

	/* Registers from 0x80 on take 8-byte accesses too; a 4-byte read returns the low half. */
	writeq(WIDE_VALUE, bar0 + EDU_DMA_SRC);
	bad += expect(pdev, "8-byte read-back", readq(bar0 + EDU_DMA_SRC), WIDE_VALUE);
	bad += expect(pdev, "4-byte low half", readl(bar0 + EDU_DMA_SRC), (u32)WIDE_VALUE);

	if (burst) {
		/*
		 * Let the recorder drain the trace buffer first: a full ring buffer overwrites its
		 * oldest events, and the loss must hit the burst, not the MAP and the sequence above.
		 */
		msleep(BURST_DRAIN_MS);
		for (i = 0; i < burst; i++)
			bad += expect(pdev, "burst identification", readl(bar0 + EDU_ID), EDU_ID_VALUE);
	}
	return bad;
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu *edu;
	unsigned int run;
	int err, bad = 0;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	init_completion(&edu->irq_done);

	err = pcim_enable_device(pdev);
	if (err)
		return err;
	err = pcim_iomap_regions(pdev, BIT(0), KBUILD_MODNAME);
	if (err)
		return err;
	/* pcim_iomap_regions() ioremaps BAR0 while the tracer runs: that is the trace's MAP line. */
	edu->bar0 = pcim_iomap_table(pdev)[0];

	/*
	 * MSI is edge-triggered and never shared, so the handler runs exactly once per raise. An MSI
	 * is a memory write by the device: without bus mastering QEMU drops it.
	 */
	pci_set_master(pdev);
	err = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES);
	if (err < 0)
		return err;
	edu->irq = pci_irq_vector(pdev, 0);
	err = request_irq(edu->irq, edu_irq, pdev->msi_enabled ? 0 : IRQF_SHARED, KBUILD_MODNAME, edu);
	if (err)
		goto free_vectors;
	pci_set_drvdata(pdev, edu);

	for (run = 0; run < repeat; run++)
		bad += edu_sequence(pdev, edu);
	dev_info(&pdev->dev, "%u sequence(s), %u burst read(s) each, %s, %d mismatch(es)\n", repeat, burst,
		 pdev->msi_enabled ? "MSI" : "INTx", bad);
	return 0;

free_vectors:
	pci_free_irq_vectors(pdev);
	return err;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu *edu = pci_get_drvdata(pdev);

	writel(LIVENESS_REMOVE, edu->bar0 + EDU_LIVENESS);
	free_irq(edu->irq, edu);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{}
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = KBUILD_MODNAME,
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};
module_pci_driver(edu_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A fixed, documented MMIO sequence on QEMU's edu device, for mmiotrace tests");
