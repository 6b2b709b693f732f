//! The page's inline style and script.

pub(super) const CSS: &str = r#":root{--fail:#b3261e;--fail-bg:#fdecea;--pass:#1e7b34;
--pass-bg:#e6f4ea;--inco:#9a5b00;--inco-bg:#fff4e0;--na:#6e7781;--line:#d0d7de;--muted:#57606a;
--ink:#1f2328}
*{box-sizing:border-box}
html{background:#f6f8fa}
body{margin:0;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink)}
main{max-width:1240px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:0 0 6px}
h1 .cmd{font-weight:400;color:var(--muted)}
h2{font-size:17px;margin:18px 0 8px}
h3{font-size:14px;margin:4px 0 8px}
h4{font-size:13px;margin:8px 0 4px;color:var(--muted)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
code{font-size:12.5px}
a{color:#0969da}
#summary{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;
margin-bottom:18px}
.lead{font-size:15px;margin:4px 0 10px}
.lead .sub{color:var(--muted);margin-left:8px}
.lead .badge{font-size:13px;padding:2px 12px}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin:10px 0}
.tile{border:1px solid var(--line);border-radius:6px;padding:6px 16px;min-width:120px;
background:#fff}
.tile .n{font-size:28px;font-weight:700;line-height:1.2}
.tile .l{color:var(--muted);text-transform:uppercase;font-size:11px;letter-spacing:.06em}
.tile.pass{border-color:var(--pass);background:var(--pass-bg)}.tile.pass .n{color:var(--pass)}
.tile.fail{border-color:var(--fail);background:var(--fail-bg)}.tile.fail .n{color:var(--fail)}
.tile.inconclusive{border-color:var(--inco);background:var(--inco-bg)}
.tile.inconclusive .n{color:var(--inco)}
svg.bar{display:block;max-width:100%;height:auto;border-radius:3px;margin:4px 0 8px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:700;font-size:11px;
letter-spacing:.04em;color:#fff;vertical-align:middle;white-space:nowrap;text-transform:uppercase}
.badge.fail{background:var(--fail)}.badge.pass{background:var(--pass)}
.badge.inconclusive{background:var(--inco)}.badge.not-applicable{background:var(--na)}
table{border-collapse:collapse;width:100%;margin:6px 0;background:#fff}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600;font-size:12.5px}
table.levels{width:auto}table.levels td{min-width:90px}
tr.finding td:nth-child(2),tr.finding td:nth-child(4),tr.finding td:nth-child(6){white-space:nowrap}
nav#index td:nth-child(3){min-width:420px}nav#index td:nth-child(5){min-width:140px}
nav#index th{white-space:nowrap}
tr.bad td{color:var(--fail);font-weight:600}
.bad{color:var(--fail);font-weight:600}.good{color:var(--pass);font-weight:600}
.muted{color:var(--muted)}.note{color:var(--muted);font-size:12.5px}
ul.missed{color:var(--fail)}
tr.missed td{background:var(--fail-bg)}
nav#index tr.fail td{background:var(--fail-bg)}
nav#index tr.inconclusive td{background:var(--inco-bg)}
#rules-table tr.fail td{color:var(--fail)}#rules-table tr.inconclusive td{color:var(--inco)}
nav#index code.fail{color:var(--fail)}nav#index code.inconclusive{color:var(--inco)}
details>summary{cursor:pointer;font-weight:600;margin:6px 0}
details>summary h2{display:inline;font-size:17px}
section.case{background:#fff;border:1px solid var(--line);border-left:6px solid var(--pass);
border-radius:6px;margin:18px 0;padding:10px 16px 12px}
section.case.fail{border-left-color:var(--fail)}
section.case.inconclusive{border-left-color:var(--inco)}
section.case h2{margin:4px 0}
section.case h2 .num{color:var(--muted);font-weight:400;font-size:13px}
.meta{margin:4px 0;color:var(--muted)}
.meta span{margin-right:14px}
tr.finding.fail td{background:var(--fail-bg)}
ul.requirement{margin:.3em 0;padding-left:1.2em;font-size:.9em}
tr.finding.fail td:nth-child(2) code{color:var(--fail);font-weight:700}
tr.finding.inconclusive td{background:var(--inco-bg)}
tr.finding.not-applicable td{color:var(--na)}
tr.finding.pass td:first-child .badge{opacity:.85}
.na-transcript{color:var(--inco);font-weight:600}
svg.seq{display:block;max-width:100%;height:auto;background:#fff;border:1px solid var(--line);
border-radius:4px}
svg.seq a:hover text{text-decoration:underline}
.exchange{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:10px 0}
.exchange.fail{border-color:var(--fail);box-shadow:inset 4px 0 0 var(--fail)}
.exchange.inconclusive{border-color:var(--inco);box-shadow:inset 4px 0 0 var(--inco)}
.exchange:target{outline:3px solid #0969da}
.msg.fail>h4{color:var(--fail)}
ul.here{margin:4px 0;padding-left:18px}
ul.here li.fail{color:var(--fail)}ul.here li.inconclusive{color:var(--inco)}
pre{font-size:12px;line-height:1.4;background:#f6f8fa;border:1px solid var(--line);
border-radius:4px;padding:8px 10px;margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere}
pre.body{max-height:none}
pre.evidence{border:2px solid var(--fail);background:var(--fail-bg)}
.evidence-label{margin:6px 0 2px;color:var(--fail);font-size:12.5px}
mark.violation{background:#ffc9c3;color:#6e0b0b;border-bottom:2px solid var(--fail);padding:1px 0}
.failure{color:var(--fail);font-weight:600}
footer{color:var(--muted);font-size:12px;margin-top:24px}
#tools{float:right}
#tools button{font:inherit;font-size:12px;margin-left:6px;padding:2px 10px;
border:1px solid var(--line);border-radius:4px;background:#f6f8fa;cursor:pointer}
@media print{html{background:#fff}section.case{break-inside:auto}.exchange{break-inside:avoid-page}
#tools{display:none}}
"#;

pub(super) const SCRIPT: &str = r#"(function(){
  function openAround(el){
    for(var p=el;p;p=p.parentElement){if(p.tagName==='DETAILS'){p.open=true;}}
    var inner=el.querySelectorAll('details');for(var i=0;i<inner.length;i++){inner[i].open=true;}
  }
  function reveal(){
    var id=decodeURIComponent(location.hash.slice(1));if(!id){return;}
    var el=document.getElementById(id);if(!el){return;}
    openAround(el);el.scrollIntoView();
  }
  function all(open){var d=document.querySelectorAll('details');for(var i=0;i<d.length;
i++){d[i].open=open;}}
  window.addEventListener('hashchange',reveal);
  window.addEventListener('beforeprint',function(){all(true);});
  var s=document.getElementById('summary');
  if(s){
    var t=document.createElement('div');t.id='tools';
    [['Expand all',true],['Collapse all',false]].forEach(function(b){
      var e=document.createElement('button');e.type='button';e.textContent=b[0];
      e.addEventListener('click',function(){all(b[1]);});t.appendChild(e);
    });
    s.insertBefore(t,s.firstChild);
  }
  reveal();
})();
"#;
