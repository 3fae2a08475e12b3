//! The tickz terminal UI: each followed symbol's price, green when up and red
//! when down, with a sparkline of its history; symbols added and removed live.

use super::client::TickClient;
use super::{clock, proto};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline, Wrap};
use ratatui::Frame;
use std::collections::{BTreeMap, VecDeque};
use std::process::ExitCode;
use std::time::Duration;

const HISTORY: usize = 240;

#[derive(Default)]
struct Quote {
    history: VecDeque<f64>,
    time: f64,
}

pub fn run(mut client: TickClient) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut terminal = ratatui::init();
    let mut quotes: BTreeMap<String, Quote> = client
        .followed()
        .map(|s| (s.to_owned(), Quote::default()))
        .collect();
    let mut input = String::new();
    let mut note = String::from("type a symbol and Enter to follow or drop it · Esc quits");
    let mut warning: Option<String> = None;
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        loop {
            for tick in client.step(Duration::from_millis(30))? {
                let quote = quotes.entry(tick.symbol.clone()).or_default();
                quote.history.push_back(tick.price);
                quote.time = tick.time;
                if quote.history.len() > HISTORY {
                    quote.history.pop_front();
                }
            }
            if let Some(diagnosis) = client.silence() {
                warning = Some(diagnosis);
            } else if !client.is_silent() {
                warning = None;
            }
            terminal.draw(|f| draw(f, &quotes, &input, &note, warning.as_deref()))?;
            while event::poll(Duration::ZERO)? {
                let Event::Key(key) = event::read()? else {
                    continue;
                };
                if key.kind != KeyEventKind::Press {
                    continue;
                }
                match key.code {
                    KeyCode::Esc => return Ok(()),
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Ok(())
                    }
                    KeyCode::Enter => {
                        let typed = std::mem::take(&mut input);
                        note = match proto::parse_symbol(&typed) {
                            Err(why) => why,
                            Ok(symbol) if client.unfollow(&symbol)? => {
                                quotes.remove(&symbol);
                                format!("dropped {symbol}")
                            }
                            Ok(_) if client.followed().count() >= proto::MAX_FOLLOWED => {
                                format!(
                                    "already following {} symbols, the most a client follows: drop one first",
                                    proto::MAX_FOLLOWED
                                )
                            }
                            Ok(symbol) => {
                                client.follow(&symbol)?;
                                quotes.insert(symbol.clone(), Quote::default());
                                format!("following {symbol}")
                            }
                        };
                    }
                    KeyCode::Backspace => {
                        input.pop();
                    }
                    // Everything typed is kept and checked on Enter, by the
                    // same rule as the command line: "bad sym!" is refused,
                    // not quietly turned into BADSYM.
                    KeyCode::Char(c) if input.chars().count() < 32 => input.push(c),
                    _ => {}
                }
            }
        }
    })();
    ratatui::restore();
    result.map(|()| ExitCode::SUCCESS)
}

fn draw(
    f: &mut Frame,
    quotes: &BTreeMap<String, Quote>,
    input: &str,
    note: &str,
    warning: Option<&str>,
) {
    let [body, prompt, status] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(3),
        Constraint::Length(2),
    ])
    .areas(f.area());
    let rows = Layout::vertical(quotes.iter().map(|_| Constraint::Length(4))).split(body);
    for ((symbol, quote), area) in quotes.iter().zip(rows.iter()) {
        draw_quote(f, symbol, quote, *area);
    }
    f.render_widget(
        Paragraph::new(format!("> {input}")).block(Block::bordered().title(" symbol ")),
        prompt,
    );
    let status_line = match warning {
        Some(warning) => Paragraph::new(warning.to_owned())
            .style(Style::new().fg(Color::Red))
            .wrap(Wrap { trim: true }),
        None => Paragraph::new(note.to_owned()).style(Style::new().fg(Color::DarkGray)),
    };
    f.render_widget(status_line, status);
}

fn draw_quote(f: &mut Frame, symbol: &str, quote: &Quote, area: Rect) {
    let [text_area, spark_area] =
        Layout::horizontal([Constraint::Length(34), Constraint::Min(10)]).areas(area);
    let mut prices = quote.history.iter().rev();
    let (last, previous) = (prices.next().copied(), prices.next().copied());
    let (color, arrow) = match (last, previous) {
        (Some(l), Some(p)) if l > p => (Color::Green, "▲"),
        (Some(l), Some(p)) if l < p => (Color::Red, "▼"),
        _ => (Color::Gray, " "),
    };
    let price = last.map_or_else(|| "waiting...".to_owned(), |p| format!("{p:>10.3} {arrow}"));
    let change = match (last, previous) {
        (Some(l), Some(p)) => format!("{:+.3}", l - p),
        _ => String::new(),
    };
    let when = if quote.time > 0.0 {
        clock::local_hms(quote.time)
    } else {
        String::new()
    };
    let text = vec![
        Line::from(vec![
            Span::styled(price, Style::new().fg(color)),
            Span::raw(format!(" {change}")),
        ]),
        Line::from(Span::styled(when, Style::new().fg(Color::DarkGray))),
    ];
    f.render_widget(
        Paragraph::new(text).block(Block::bordered().title(format!(" {symbol} "))),
        text_area,
    );

    let width = usize::from(spark_area.width.saturating_sub(2));
    let shown: Vec<f64> = quote
        .history
        .iter()
        .rev()
        .take(width)
        .rev()
        .copied()
        .collect();
    // No ticks yet: no range to show (a fold over nothing would give f64::MAX).
    let range = shown
        .iter()
        .copied()
        .fold(None, |range: Option<(f64, f64)>, p| {
            Some(range.map_or((p, p), |(lo, hi)| (lo.min(p), hi.max(p))))
        });
    let (data, title) = match range {
        Some((lo, hi)) => {
            let span = (hi - lo).max(1e-9);
            let data: Vec<u64> = shown
                .iter()
                .map(|p| 1 + ((p - lo) / span * 99.0) as u64)
                .collect();
            (data, format!(" {lo:.2} – {hi:.2} "))
        }
        None => (Vec::new(), " no ticks yet ".to_owned()),
    };
    let spark = Sparkline::default()
        .data(&data)
        .max(100)
        .style(Style::new().fg(color))
        .block(Block::bordered().title(title));
    f.render_widget(spark, spark_area);
}
