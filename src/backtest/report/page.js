/* report.html's script: draws the charts from the inline #chart-data with the inline
 * lightweight-charts standalone build (window.LightweightCharts). Plain browser JavaScript, no
 * network. Sets document.body.dataset.charts to the number of charts drawn when done (tests wait on it). */
(function () {
  'use strict';
  var LC = window.LightweightCharts;
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  var COLORS = { entry: '#1e88e5', stop: '#e53935', target: '#43a047', equity: '#1e88e5', hold: '#9e9e9e', drawdown: '#e53935' };
  var drawn = 0;
  var HIDDEN = 'rgba(0,0,0,0)';
  // compact arrays (chartData.ts) -> lightweight-charts' objects
  function bars(rows) {
    return rows.map(function (r) { return { time: r[0], open: r[1], high: r[2], low: r[3], close: r[4] }; });
  }
  function points(rows) {
    return rows.map(function (r) { return r.length > 2 ? { time: r[0], value: r[1], color: HIDDEN } : { time: r[0], value: r[1] }; });
  }

  function make(el, extra) {
    var options = {
      autoSize: true,
      layout: { background: { type: 'solid', color: '#ffffff' }, textColor: '#263238', fontSize: 12, attributionLogo: false },
      grid: { vertLines: { color: '#eceff1' }, horzLines: { color: '#eceff1' } },
      timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#cfd8dc' },
      rightPriceScale: { borderColor: '#cfd8dc' },
      crosshair: { mode: 0 },
    };
    for (var k in extra) options[k] = extra[k];
    var chart = LC.createChart(el, options);
    drawn++;
    return chart;
  }

  function legend(el, items) {
    var div = document.createElement('div');
    div.className = 'chart-legend';
    items.forEach(function (it) {
      var span = document.createElement('span');
      span.style.color = it[1];
      span.textContent = '\u25A0 ' + it[0];
      div.appendChild(span);
    });
    el.appendChild(div);
  }

  document.querySelectorAll('[data-chart]').forEach(function (el) {
    var s = data.strategists[Number(el.dataset.strategist)];
    var kind = el.dataset.chart;
    if (kind === 'equity') {
      var eq = make(el, {});
      eq.addSeries(LC.LineSeries, { color: COLORS.hold, lineWidth: 1, title: 'buy-and-hold', priceLineVisible: false }).setData(points(data.buyAndHold));
      eq.addSeries(LC.LineSeries, { color: COLORS.equity, lineWidth: 2, title: s.name, priceLineVisible: false }).setData(points(s.equity));
      eq.timeScale().fitContent();
      legend(el, [[s.name, COLORS.equity], ['buy-and-hold', COLORS.hold]]);
    } else if (kind === 'drawdown') {
      var dd = make(el, {});
      dd.addSeries(LC.AreaSeries, {
        lineColor: COLORS.drawdown, topColor: 'rgba(229,57,53,0.05)', bottomColor: 'rgba(229,57,53,0.4)', invertFilledArea: true,
        lineWidth: 1, priceLineVisible: false, priceFormat: { type: 'custom', formatter: function (v) { return v.toFixed(2) + '%'; } },
      }).setData(points(s.drawdown));
      dd.timeScale().fitContent();
    } else if (kind === 'price') {
      var sym = s.symbols[Number(el.dataset.symbol)];
      var pc = make(el, {});
      var candles = pc.addSeries(LC.CandlestickSeries, {
        upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350',
      });
      candles.setData(bars(data.candles[sym.symbol]));
      var levelOptions = { lineWidth: 1, lineStyle: 2, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false };
      pc.addSeries(LC.LineSeries, Object.assign({ color: COLORS.stop }, levelOptions)).setData(points(sym.stops));
      sym.targets.forEach(function (t) {
        pc.addSeries(LC.LineSeries, Object.assign({ color: COLORS.target }, levelOptions)).setData(points(t));
      });
      LC.createSeriesMarkers(candles, sym.markers);
      pc.timeScale().fitContent();
    }
  });
  document.body.dataset.charts = String(drawn);
})();
