using Billing.Core.Domain;
using SkiaSharp;

namespace Billing.InvoiceWorker.Pdf;

/// <summary>
/// Lays an invoice out on A4 pages before anything is drawn, so that the page count is known for every footer:
/// text is shaped and wrapped here, and each page becomes a list of drawing steps.
/// </summary>
/// <remarks>
/// Page 1 carries the supplier, the title and invoice facts, and the bill-to block; every page that holds table rows
/// starts them with the table header; the totals follow the last line and are kept on its page (the last line moves
/// to a new page with them if need be); payment details and notes flow after the totals.
/// </remarks>
internal sealed class InvoiceLayout
{
    /// <summary>A4 in PostScript points.</summary>
    public const float PageWidth = 595f;

    /// <summary>A4 in PostScript points.</summary>
    public const float PageHeight = 842f;

    private const float Margin = 50f;
    private const float Left = Margin;
    private const float Right = PageWidth - Margin;
    private const float ContentBottom = PageHeight - 64f;
    private const float FooterRuleY = PageHeight - 46f;
    private const float CellPadding = 4f;
    private const float RowPadding = 4f;
    private const float BlockGap = 22f;
    private const float BillToWidth = 300f;

    private static readonly SKColor Ink = new(0x1F, 0x23, 0x28);
    private static readonly SKColor Muted = new(0x5F, 0x67, 0x73);
    private static readonly SKColor Accent = new(0x1D, 0x3B, 0x5C);
    private static readonly SKColor RuleColor = new(0xD5, 0xD9, 0xDF);
    private static readonly SKColor HeaderFill = new(0xEE, 0xF1, 0xF5);

    private static readonly TextStyle Title = new(InvoiceFont.Bold, 22f, Accent);
    private static readonly TextStyle SupplierName = new(InvoiceFont.Bold, 12f, Ink);
    private static readonly TextStyle CustomerName = new(InvoiceFont.Bold, 11f, Ink);
    private static readonly TextStyle Body = new(InvoiceFont.Regular, 9f, Ink);
    private static readonly TextStyle Small = new(InvoiceFont.Regular, 8.5f, Muted);
    private static readonly TextStyle Label = new(InvoiceFont.Bold, 7.5f, Muted);
    private static readonly TextStyle ColumnHeader = new(InvoiceFont.Bold, 8f, Ink);
    private static readonly TextStyle Cell = new(InvoiceFont.Regular, 8.5f, Ink);
    private static readonly TextStyle Section = new(InvoiceFont.Bold, 8f, Accent);
    private static readonly TextStyle TotalLabel = new(InvoiceFont.Regular, 9f, Ink);
    private static readonly TextStyle GrandTotal = new(InvoiceFont.Bold, 11f, Ink);
    private static readonly TextStyle Heading = new(InvoiceFont.Bold, 9f, Ink);
    private static readonly TextStyle Footer = new(InvoiceFont.Regular, 7.5f, Muted);

    // The table's columns, left to right; they span the content width.
    private static readonly Column Description = new(Left, 185f, Align.Left, "Description");
    private static readonly Column Operator = new(Description.Right, 120f, Align.Left, "Operator");
    private static readonly Column Quantity = new(Operator.Right, 55f, Align.Right, "Segments");
    private static readonly Column UnitPrice = new(Quantity.Right, 55f, Align.Right, "Unit price");
    private static readonly Column Amount = new(UnitPrice.Right, Right - UnitPrice.Right, Align.Right, "Amount");

    private readonly InvoiceDocument _invoice;
    private readonly List<List<Action<PagePainter>>> _pages = [];
    private List<Action<PagePainter>> _page = null!;
    private float _y;

    private InvoiceLayout(InvoiceDocument invoice) => _invoice = invoice;

    private enum Align
    {
        Left,
        Right,
    }

    /// <summary>
    /// Lays <paramref name="invoice"/> out; each page is a list of drawing steps, to which the caller adds the footer
    /// (<see cref="DrawFooter"/>).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<Action<PagePainter>>> Lay(InvoiceDocument invoice)
    {
        var layout = new InvoiceLayout(invoice);
        layout.FirstPage();
        layout.Table();
        layout.Paragraphs("Payment details", invoice.Supplier.PaymentDetails is { } payment ? [payment] : []);
        layout.Paragraphs("Notes", invoice.Notes);
        return layout._pages;
    }

    /// <summary>The footer of page <paramref name="number"/> of <paramref name="count"/>.</summary>
    public static void DrawFooter(PagePainter painter, InvoiceDocument invoice, int number, int count)
    {
        painter.Rule(Left, Right, FooterRuleY, RuleColor, 0.5f);
        float top = FooterRuleY + 6f;
        ShapedText page = Footer.Shape($"Page {number} of {count}");
        ShapedText left = Footer.ShapeToFit($"{invoice.Number} \u00B7 {invoice.Supplier.Name}", Right - Left - page.Width - 20f);
        painter.Text(left, Left, Footer.Baseline(top), Footer.Color);
        painter.Text(page, Right - page.Width, Footer.Baseline(top), Footer.Color);
    }

    private void FirstPage()
    {
        NewPage();
        SupplierDetails supplier = _invoice.Supplier;

        // Left: who issues the invoice.
        const float leftWidth = 225f;
        float left = _y;
        left = Wrapped(supplier.Name, SupplierName, Left, left, leftWidth);
        left += 2f;
        foreach (string line in supplier.AddressLines)
        {
            left = Wrapped(line, Body, Left, left, leftWidth);
        }

        if (supplier.TaxId is { } taxId)
        {
            left = Wrapped($"Tax ID: {taxId}", Body, Left, left, leftWidth);
        }

        if (supplier.Email is { } email)
        {
            left = Wrapped(email, Body, Left, left, leftWidth);
        }

        // Right: the title and the invoice's facts.
        // The values' column fits the longest period, "1 September 2026 – 30 September 2026" (184 pt).
        const float labelsX = 285f;
        const float valuesX = 357f;
        ShapedText title = Title.Shape("INVOICE");
        float right = _y;
        // Raised a little so that its capitals line up with the supplier's name.
        Draw(title, Right - title.Width, Title.Baseline(right - 3f), Title.Color);
        right += Title.LineHeight + 4f;
        (string Label, string Value)[] facts =
        [
            ("Invoice number", _invoice.Number),
            ("Issue date", InvoiceFormat.Date(_invoice.IssuedAt)),
            ("Due date", InvoiceFormat.Date(_invoice.DueDate)),
            ("Billing period", InvoiceFormat.Period(_invoice.PeriodStart, _invoice.PeriodEnd)),
            ("Currency", _invoice.Currency.Code),
        ];
        foreach ((string label, string value) in facts)
        {
            ShapedText shapedLabel = Small.ShapeToFit(label, valuesX - labelsX - CellPadding);
            Draw(shapedLabel, labelsX, Body.Baseline(right), Small.Color);
            right = Wrapped(value, Body, valuesX, right, Right - valuesX) + 1f;
        }

        // Below both: who is billed.
        float top = Math.Max(left, right) + BlockGap;
        BillTo billTo = _invoice.BillTo;
        Draw(Label.Shape("BILL TO"), Left, Label.Baseline(top), Label.Color);
        top += Label.LineHeight + 2f;
        top = Wrapped(billTo.Name, CustomerName, Left, top, BillToWidth);
        top = Wrapped(billTo.Address, Body, Left, top, BillToWidth);
        top = Wrapped(billTo.Email, Body, Left, top, BillToWidth);
        top = Wrapped($"Account {billTo.AccountId}", Small, Left, top, BillToWidth);
        _y = top + BlockGap;
    }

    private void Table()
    {
        var header = new TableHeader(_invoice.Currency.Code);
        var totals = new Totals(_invoice);
        IReadOnlyList<InvoiceDocumentLine> lines = _invoice.Lines;

        // A page begun for the table gains nothing from another new page: what does not fit there is placed anyway.
        bool freshPage = false;
        bool headerOnPage = false;
        for (int i = 0; i < lines.Count; i++)
        {
            InvoiceDocumentLine line = lines[i];
            bool startsAdjustments = line.Kind == InvoiceDocumentLine.Adjustment
                && (i == 0 || lines[i - 1].Kind != InvoiceDocumentLine.Adjustment);
            Row? section = startsAdjustments ? Row.SectionTitle("Prior-period adjustments") : null;
            Row row = Row.ForLine(line, _invoice.Currency);

            // What must share the page with the row: the table header, its section title, and after the last row the totals.
            float needed = (headerOnPage ? 0f : header.Height) + (section?.Height ?? 0f) + row.Height
                + (i == lines.Count - 1 ? totals.Height : 0f);
            if (_y + needed > ContentBottom && !freshPage)
            {
                NewPage();
                freshPage = true;
                headerOnPage = false;
            }

            if (!headerOnPage)
            {
                Place(header.Height, header.Draw);
                headerOnPage = true;
            }

            if (section is not null)
            {
                Place(section.Height, section.Draw);
            }

            Place(row.Height, row.Draw);
            freshPage = false;
        }

        if (lines.Count == 0)
        {
            Row empty = Row.Message("No charges in this period.");
            Place(header.Height, header.Draw);
            Place(empty.Height, empty.Draw);
        }

        if (_y + totals.Height > ContentBottom)
        {
            NewPage();
        }

        Place(totals.Height, totals.Draw);
    }

    // A titled block of paragraphs after the totals: kept on one page when it fits on one, else flowing line by line.
    private void Paragraphs(string title, IReadOnlyList<string> paragraphs)
    {
        if (paragraphs.Count == 0)
        {
            return;
        }

        const float headingGap = 2f;
        const float paragraphGap = 4f;
        IReadOnlyList<ShapedText>[] wrapped = [.. paragraphs.Select(paragraph => Body.Wrap(paragraph, Right - Left))];
        float height = Heading.LineHeight + headingGap + wrapped.Sum(lines => (lines.Count * Body.LineHeight) + paragraphGap);

        _y += 12f;
        if (_y + height > ContentBottom && Margin + height <= ContentBottom)
        {
            NewPage();
        }

        ShapedText heading = Heading.Shape(title);
        Place(Heading.LineHeight + headingGap, (p, top) => p.Text(heading, Left, Heading.Baseline(top), Heading.Color));
        foreach (IReadOnlyList<ShapedText> lines in wrapped)
        {
            foreach (ShapedText line in lines)
            {
                if (_y + Body.LineHeight > ContentBottom)
                {
                    NewPage();
                }

                Place(Body.LineHeight, (p, top) => p.Text(line, Left, Body.Baseline(top), Body.Color));
            }

            _y += paragraphGap;
        }
    }

    private void NewPage()
    {
        _page = [];
        _pages.Add(_page);
        _y = Margin;
        if (_pages.Count > 1)
        {
            // A continuation page says whose invoice it belongs to.
            ShapedText continued = Small.ShapeToFit($"{_invoice.Number} \u00B7 {_invoice.BillTo.Name} (continued)", Right - Left);
            Draw(continued, Left, Small.Baseline(_y), Small.Color);
            _y += Small.LineHeight + 12f;
        }
    }

    // Adds a drawing step at the current position and moves down by its height.
    private void Place(float height, Action<PagePainter, float> draw)
    {
        float top = _y;
        _page.Add(painter => draw(painter, top));
        _y += height;
    }

    private void Draw(ShapedText text, float x, float baseline, SKColor color) =>
        _page.Add(painter => painter.Text(text, x, baseline, color));

    // Text wrapped to a column, from top down; returns the top of what follows.
    private float Wrapped(string text, TextStyle style, float x, float top, float width)
    {
        foreach (ShapedText line in style.Wrap(text, width))
        {
            Draw(line, x, style.Baseline(top), style.Color);
            top += style.LineHeight;
        }

        return top;
    }

    private sealed record Column(float Left, float Width, Align Align, string Title)
    {
        public float Right => Left + Width;

        public float TextWidth => Width - (2 * CellPadding);

        public float X(ShapedText text) => Align == Align.Left ? Left + CellPadding : Right - CellPadding - text.Width;
    }

    private sealed class TableHeader(string currencyCode)
    {
        private readonly (Column Column, IReadOnlyList<ShapedText> Lines)[] _cells =
        [
            (Description, ColumnHeader.Wrap(Description.Title, Description.TextWidth)),
            (Operator, ColumnHeader.Wrap(Operator.Title, Operator.TextWidth)),
            (Quantity, ColumnHeader.Wrap(Quantity.Title, Quantity.TextWidth)),
            (UnitPrice, ColumnHeader.Wrap(UnitPrice.Title, UnitPrice.TextWidth)),
            (Amount, ColumnHeader.Wrap($"{Amount.Title} ({currencyCode})", Amount.TextWidth)),
        ];

        public float Height => (_cells.Max(cell => cell.Lines.Count) * ColumnHeader.LineHeight) + (2 * RowPadding);

        public void Draw(PagePainter painter, float top)
        {
            painter.Fill(new SKRect(Left, top, Right, top + Height), HeaderFill);
            foreach ((Column column, IReadOnlyList<ShapedText> lines) in _cells)
            {
                float lineTop = top + RowPadding;
                foreach (ShapedText line in lines)
                {
                    painter.Text(line, column.X(line), ColumnHeader.Baseline(lineTop), ColumnHeader.Color);
                    lineTop += ColumnHeader.LineHeight;
                }
            }
        }
    }

    // One table row: wrapped description and operator, one-line numbers, a rule below.
    private sealed class Row
    {
        private readonly (Column Column, IReadOnlyList<ShapedText> Lines, TextStyle Style)[] _cells;
        private readonly bool _rule;

        private Row((Column, IReadOnlyList<ShapedText>, TextStyle)[] cells, bool rule)
        {
            _cells = cells;
            _rule = rule;
            Height = (cells.Max(cell => cell.Item2.Count * cell.Item3.LineHeight)) + (2 * RowPadding);
        }

        public float Height { get; }

        public static Row ForLine(InvoiceDocumentLine line, Currency currency)
        {
            string amount = InvoiceFormat.Amount(line.Amount, currency);
            string unitPrice = InvoiceFormat.UnitPrice(line.UnitPrice, currency);
            return new Row(
                [
                    (Description, Cell.Wrap(line.Description, Description.TextWidth), Cell),
                    (Operator, Cell.Wrap(line.Operator ?? string.Empty, Operator.TextWidth), Cell),
                    (Quantity, [Cell.ShapeToFit(InvoiceFormat.Quantity(line.Quantity), Quantity.TextWidth)], Cell),
                    (UnitPrice, [Cell.ShapeToFit(unitPrice, UnitPrice.TextWidth)], Cell),
                    (Amount, [Cell.ShapeToFit(amount, Amount.TextWidth)], Cell),
                ],
                rule: true);
        }

        public static Row SectionTitle(string title) =>
            new([(Description, Section.Wrap(title, Right - Left - (2 * CellPadding)), Section)], rule: false);

        public static Row Message(string message) =>
            new([(Description, Cell.Wrap(message, Right - Left - (2 * CellPadding)), Cell)], rule: true);

        public void Draw(PagePainter painter, float top)
        {
            foreach ((Column column, IReadOnlyList<ShapedText> lines, TextStyle style) in _cells)
            {
                float lineTop = top + RowPadding;
                foreach (ShapedText line in lines)
                {
                    painter.Text(line, column.X(line), style.Baseline(lineTop), style.Color);
                    lineTop += style.LineHeight;
                }
            }

            if (_rule)
            {
                painter.Rule(Left, Right, top + Height, RuleColor, 0.5f);
            }
        }
    }

    // Subtotal, tax and total, right-aligned under the amounts.
    private sealed class Totals
    {
        private const float BoxLeft = Right - 230f;
        private const float TopGap = 10f;
        private const float RowGap = 3f;
        private const float RuleGap = 5f;

        private readonly (ShapedText Label, ShapedText Value, TextStyle Style)[] _rows;

        public Totals(InvoiceDocument invoice)
        {
            Currency currency = invoice.Currency;
            float valueWidth = Right - BoxLeft - 100f;
            _rows =
            [
                (TotalLabel.Shape("Subtotal"), TotalLabel.ShapeToFit(InvoiceFormat.Amount(invoice.Subtotal, currency), valueWidth), TotalLabel),
                (TotalLabel.Shape($"Tax ({InvoiceFormat.Percent(invoice.TaxRate)})"), TotalLabel.ShapeToFit(InvoiceFormat.Amount(invoice.Tax, currency), valueWidth), TotalLabel),
                (GrandTotal.Shape("Total"), GrandTotal.ShapeToFit($"{currency.Code} {InvoiceFormat.Amount(invoice.Total, currency)}", valueWidth + 40f), GrandTotal),
            ];
            Height = TopGap + _rows.Sum(row => row.Style.LineHeight + RowGap) + RuleGap;
        }

        public float Height { get; }

        public void Draw(PagePainter painter, float top)
        {
            float y = top + TopGap;
            for (int i = 0; i < _rows.Length; i++)
            {
                (ShapedText label, ShapedText value, TextStyle style) = _rows[i];
                if (i == _rows.Length - 1)
                {
                    painter.Rule(BoxLeft, Right, y + (RuleGap / 2), Ink, 0.75f);
                    y += RuleGap;
                }

                painter.Text(label, BoxLeft + CellPadding, style.Baseline(y), style.Color);
                painter.Text(value, Right - CellPadding - value.Width, style.Baseline(y), style.Color);
                y += style.LineHeight + RowGap;
            }
        }
    }
}
