// Whether this visitor may be measured: an explicit choice (footfall('consent', ...)) wins;
// otherwise Do-Not-Track and Global Privacy Control say no, unless the site's tag has
// data-respect-dnt="false".

export const allowed = (consent, nav, respectDnt) =>
  consent ?? !(respectDnt && (nav.doNotTrack == 1 || nav.globalPrivacyControl));
