/* Footfall placeholder snippet: records the page view. The full capture ships with sdk-js. */
(function(){var s=document.currentScript,k=s&&s.getAttribute("data-site");if(!k)return;var h=new URL(s.src).origin;
function id(){return Math.random().toString(36).slice(2)+Date.now().toString(36)}
var sid=sessionStorage.getItem("ff_sid")||id();sessionStorage.setItem("ff_sid",sid);
var b={v:1,site:k,sid:sid,pv:id(),id:id(),url:location.href,ref:document.referrer,vw:innerWidth,vh:innerHeight,sw:screen.width,sh:screen.height,sent:Date.now(),e:[{t:"pageview",ts:Date.now(),title:document.title}]};
try{navigator.sendBeacon(h+"/i/v1/batch",new Blob([JSON.stringify(b)],{type:"text/plain"}))}catch(e){}})();
